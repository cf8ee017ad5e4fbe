# Set-up and entry points. `make deps` installs the system libraries a fresh Debian/Ubuntu machine
# lacks (only when missing); every other target depends on it.
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev zlib1g-dev

.PHONY: deps build release examples test bench train

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

examples: release
	$(SWIFT) run -c release autograd examples

test: deps
	$(SWIFT) test

bench: release
	$(SWIFT) run -c release autograd bench

# The main job: a default MNIST training (MLP, 8 epochs, 15–20 s of training on 2 cores), with a
# checkpoint and the training curves. Other models: `swift run -c release autograd train --help`.
train: release
	$(SWIFT) run -c release autograd train --model mlp --save mnist-mlp.safetensors --plot mnist-mlp.svg
