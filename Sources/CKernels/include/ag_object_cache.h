/*
 * Per-thread caches of Swift objects that are about to be freed and will be needed
 * again soon (one-element tensor buffers), so that a tape-heavy loop does not pay
 * malloc + free for every small object.
 *
 * Each thread has AG_OBJECT_CACHE_KINDS stacks of at most AG_OBJECT_CACHE_CAPACITY
 * objects. An object in a stack holds one strong reference (an `Unmanaged` +1); a
 * thread's stacks are drained (each object released) when the thread exits. Every
 * access is to the calling thread's own stacks, so no locking is needed.
 */
#ifndef AG_OBJECT_CACHE_H
#define AG_OBJECT_CACHE_H

#ifdef __cplusplus
extern "C" {
#endif

#define AG_OBJECT_CACHE_KINDS 1
#define AG_OBJECT_CACHE_CAPACITY 64

typedef struct {
    long count;
    void *items[AG_OBJECT_CACHE_CAPACITY];
} ag_object_stack;

extern _Thread_local ag_object_stack ag_object_caches[AG_OBJECT_CACHE_KINDS];
extern _Thread_local int ag_object_cache_registered;

/* Arranges for the calling thread's stacks to be drained when it exits. */
void ag_object_cache_register_thread(void);

/* An object of `kind` (its +1 reference now belongs to the caller), or NULL. */
static inline void *ag_object_cache_take(int kind) {
    ag_object_stack *s = &ag_object_caches[kind];
    return s->count > 0 ? s->items[--s->count] : (void *)0;
}

/* Keeps `object` (with the +1 reference the caller hands over) for reuse. Returns 0
 * if the stack is full: the caller keeps the reference and must release it. */
static inline int ag_object_cache_give(int kind, void *object) {
    if (!ag_object_cache_registered) ag_object_cache_register_thread();
    ag_object_stack *s = &ag_object_caches[kind];
    if (s->count >= AG_OBJECT_CACHE_CAPACITY) return 0;
    s->items[s->count++] = object;
    return 1;
}

/* Number of objects of `kind` the calling thread holds (for tests). */
static inline long ag_object_cache_count(int kind) { return ag_object_caches[kind].count; }

/* The strong reference count of a native Swift object (the Swift runtime's
 * swift_retainCount). Exact when the caller holds the only reference: no other
 * thread can then add or drop one. */
unsigned long swift_retainCount(void *object);
static inline unsigned long ag_strong_count(void *object) { return swift_retainCount(object); }

/* Releases every object the calling thread holds. */
void ag_object_cache_drain(void);

#ifdef __cplusplus
}
#endif

#endif
