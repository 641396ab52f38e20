# berth: make builds build/berthd and build/berth; `make test` runs every test;
# `make asan` builds the same under AddressSanitizer + UndefinedBehaviorSanitizer into build/asan.
VERSION := 0.1.0
# Each binary links only what it uses, so that an exec loads no more than that: berth (run once
# per command) needs jansson and libhttp-parser (which has no pkg-config file), berthd the rest.
CLIENT_PKGS := jansson
DAEMON_PKGS := libmnl libnftables sqlite3 jansson libmicrohttpd
PKGS    := $(DAEMON_PKGS)
HTTP_PARSER_LIBS := -lhttp_parser
O       ?= build
CC      ?= gcc
SAN     ?=
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
           -D_GNU_SOURCE -DBERTH_VERSION='"$(VERSION)"' -Ilib -Iapi -MMD -MP $(SAN) \
           $(shell pkg-config --cflags $(PKGS))
CLIENT_LDLIBS := $(shell pkg-config --libs $(CLIENT_PKGS)) $(HTTP_PARSER_LIBS)
DAEMON_LDLIBS := $(shell pkg-config --libs $(DAEMON_PKGS))
# Unit tests and fuzz targets may use any part of the library.
LDLIBS  := $(shell pkg-config --libs $(PKGS)) $(HTTP_PARSER_LIBS)
# --as-needed: a library named on the command line but not used is not recorded as needed.
LDFLAGS += $(SAN) -Wl,--as-needed

LIB_SRC    := $(sort $(wildcard lib/*/*.c lib/*/*/*.c))
API_SRC    := $(sort $(wildcard api/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
CLIENT_SRC := $(sort $(wildcard client/*.c))
CNI_SRC    := $(sort $(wildcard cni/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
UNIT_BIN := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))

all: $(O)/berthd $(O)/berth $(O)/berth-cni $(UNIT_BIN)

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(O)/libberth.a: $(call obj,$(LIB_SRC) $(API_SRC))
	@rm -f $@
	@ar rcs $@ $^

$(O)/berthd: $(call obj,$(DAEMON_SRC)) $(O)/libberth.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $^ $(DAEMON_LDLIBS) -o $@

$(O)/berth: $(call obj,$(CLIENT_SRC)) $(O)/libberth.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $^ $(CLIENT_LDLIBS) -o $@

# The CNI plugin, linked like berth: the runtime executes it once per container.
$(O)/berth-cni: $(call obj,$(CNI_SRC)) $(O)/libberth.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) $^ $(CLIENT_LDLIBS) -o $@

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

# The walls between lib/, plan/, client/ and daemon/ (scripts/check-walls.sh says which).
check-walls:
	@scripts/check-walls.sh

demo: all
	scripts/demo.sh

deps:
	scripts/install-deps.sh

clean:
	rm -rf build

.PHONY: all asan test check-walls demo deps clean
-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)

# ---- fuzz ---------------------------------------------------------------------------------------
# libFuzzer targets for every parser (tests/fuzz/README.md), built with clang into build/fuzz:
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="cidr ipam"]   fuzz each target for FUZZ_SECONDS
#   make fuzz-smoke                                          run each over its seed corpus once (CI)
#   make fuzz-build                                          build only
# `make -j2 fuzz` fuzzes two targets at a time. A run works on a scratch copy of the seed corpus
# (build/fuzz/run/NAME/corpus), so the committed corpus under tests/fuzz/corpus only grows when
# someone copies a new input there on purpose; crash inputs land in build/fuzz/run/NAME/.
# The library is compiled again, instrumented, with the same flags as the targets (a sanitizer
# or coverage instrumentation only sees code compiled with it); UBSan aborts instead of
# reporting and going on, so undefined behaviour is a crash like any other.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_O       ?= build/fuzz
FUZZ_TARGETS ?= $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_FLAGS   ?=
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
                -D_GNU_SOURCE -DBERTH_VERSION='"$(VERSION)"' -Ilib -Iapi -MMD -MP \
                $(shell pkg-config --cflags $(PKGS))
FUZZ_BIN     := $(patsubst %,$(FUZZ_O)/fuzz_%,$(FUZZ_TARGETS))

$(FUZZ_O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_O)/obj/tests/fuzz/%.o: FUZZ_CFLAGS += -Itests/fuzz

# An archive, so each target links only the library objects it uses.
$(FUZZ_O)/libberth.a: $(patsubst %.c,$(FUZZ_O)/obj/%.o,$(LIB_SRC) $(API_SRC))
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_O)/fuzz_%: $(FUZZ_O)/obj/tests/fuzz/fuzz_%.o $(FUZZ_O)/libberth.a
	@echo "  LD      $@"
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BIN)
# Keep the targets' objects (make deletes intermediate files of chained pattern rules).
.SECONDARY: $(patsubst %,$(FUZZ_O)/obj/tests/fuzz/fuzz_%.o,$(FUZZ_TARGETS))

# One rule per target (a static pattern rule: make skips implicit rules for .PHONY targets),
# so that make -jN runs N fuzzers side by side. The fuzzer's own output goes
# to build/fuzz/run/NAME/log; its exit status to .../status, read by `fuzz` below, which runs
# every target even when one crashes and then fails if any did. A dictionary
# tests/fuzz/NAME.dict, when there is one, gives the fuzzer the format's keywords.
$(addprefix fuzz-run-,$(FUZZ_TARGETS)): fuzz-run-%: $(FUZZ_O)/fuzz_%
	@d=$(FUZZ_O)/run/$*; rm -rf $$d; mkdir -p $$d/corpus; \
	cp tests/fuzz/corpus/$*/* $$d/corpus/; \
	dict=; [ ! -f tests/fuzz/$*.dict ] || dict=-dict=tests/fuzz/$*.dict; \
	echo "  FUZZ    $* for $(FUZZ_SECONDS)s (log: $$d/log)"; \
	$< -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=$$d/ $$dict $(FUZZ_FLAGS) $$d/corpus >$$d/log 2>&1; \
	echo $$? >$$d/status; \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$d/log); \
	if [ "$$(cat $$d/status)" = 0 ]; then \
		echo "  FUZZ    $*: $${execs:-?} executions, no crash"; \
	else \
		echo "  FUZZ    $*: CRASH (status $$(cat $$d/status)), see $$d/log and $$(ls $$d | grep -E '^(crash|leak|timeout|oom)-' | sed "s#^#$$d/#" | tr '\n' ' ')"; \
	fi

fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))
	@failed=; for t in $(FUZZ_TARGETS); do \
		[ "$$(cat $(FUZZ_O)/run/$$t/status 2>/dev/null)" = 0 ] || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashed:$$failed"; exit 1; fi; \
	echo "fuzz: $(words $(FUZZ_TARGETS)) targets, $(FUZZ_SECONDS)s each, no crash"

# Every seed-corpus input executed once per target (the corpus includes the inputs of crashes
# found and fixed, so this is their regression test). Seconds, not minutes: fit for CI. Given
# files rather than a directory, libFuzzer runs each once and saves no artifacts.
fuzz-smoke: $(FUZZ_BIN)
	@failed=; for t in $(FUZZ_TARGETS); do \
		n=$$(ls tests/fuzz/corpus/$$t | wc -l); \
		if $(FUZZ_O)/fuzz_$$t tests/fuzz/corpus/$$t/* >$(FUZZ_O)/smoke-$$t.log 2>&1; then \
			echo "  SMOKE   $$t: $$n inputs, ok"; \
		else \
			echo "  SMOKE   $$t: FAILED, see $(FUZZ_O)/smoke-$$t.log"; failed="$$failed $$t"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz-smoke: failed:$$failed"; exit 1; fi

.PHONY: fuzz fuzz-build fuzz-smoke $(addprefix fuzz-run-,$(FUZZ_TARGETS))
-include $(shell find $(FUZZ_O)/obj -name '*.d' 2>/dev/null)
# ---- end of fuzz --------------------------------------------------------------------------------
