#include <pthread.h>
#include "ag_object_cache.h"

_Thread_local ag_object_stack ag_object_caches[AG_OBJECT_CACHE_KINDS];
_Thread_local int ag_object_cache_registered;

/* The Swift runtime's release entry point (every cached object is a native Swift object). */
extern void swift_release(void *object);

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

void ag_object_cache_drain(void) {
    for (int k = 0; k < AG_OBJECT_CACHE_KINDS; k++) {
        ag_object_stack *s = &ag_object_caches[k];
        while (s->count > 0) {
            void *object = s->items[--s->count];
            swift_release(object);
        }
    }
}

static void drain_at_exit(void *unused) {
    (void)unused;
    ag_object_cache_drain();
}

static void make_exit_key(void) { pthread_key_create(&exit_key, drain_at_exit); }

void ag_object_cache_register_thread(void) {
    pthread_once(&exit_key_once, make_exit_key);
    pthread_setspecific(exit_key, (void *)1);
    ag_object_cache_registered = 1;
}
