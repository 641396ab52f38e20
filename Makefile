# berth: make builds build/berthd and build/berth; `make test` runs every test;
# `make asan` builds the same under AddressSanitizer + UndefinedBehaviorSanitizer into build/asan.
VERSION := 0.1.0
PKGS    := libmnl sqlite3 jansson libmicrohttpd libcurl
O       ?= build
CC      ?= gcc
SAN     ?=
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
           -D_GNU_SOURCE -DBERTH_VERSION='"$(VERSION)"' -Ilib -Iapi -MMD -MP $(SAN) \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  := $(shell pkg-config --libs $(PKGS))
LDFLAGS += $(SAN)

LIB_SRC    := $(sort $(wildcard lib/*/*.c))
API_SRC    := $(sort $(wildcard api/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
CLIENT_SRC := $(sort $(wildcard client/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
UNIT_BIN := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))

all: $(O)/berthd $(O)/berth $(UNIT_BIN)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(O)/libberth.a: $(call obj,$(LIB_SRC) $(API_SRC))
	@rm -f $@
	@ar rcs $@ $^

$(O)/berthd: $(call obj,$(DAEMON_SRC)) $(O)/libberth.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(O)/berth: $(call obj,$(CLIENT_SRC)) $(O)/libberth.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(O)/tests/%: $(O)/obj/tests/unit/%.o $(O)/libberth.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(O)/obj/tests/unit/%.o: CFLAGS += -Itests/unit

asan:
	@$(MAKE) --no-print-directory O=build/asan SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all'

# The README's test command: unit tests (no root) and sandboxed root tests, normal and
# sanitizer builds; the last line is "N passed, N failed".
test: all asan
	@tests/run.sh build build/asan

demo: all
	scripts/demo.sh

deps:
	scripts/install-deps.sh

clean:
	rm -rf build

.PHONY: all asan test demo deps clean
-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
