# tests/fuzz/fuzz.mk: libFuzzer targets for every parser we own, built with
# clang under ASan+UBSan in $(FUZZ_BUILD). Included by the top Makefile.
#   make fuzz         each target for FUZZ_SECONDS (default 60); new inputs
#                     are kept in $(FUZZ_BUILD)/corpus, not in the repo
#   make fuzz-smoke   each target for FUZZ_SMOKE_SECONDS over the seed corpus
# A crash, leak, broken invariant or timeout fails the target and names the
# saved input; tests/fuzz/run prints how to replay it.

FUZZ_CC            ?= clang
FUZZ_BUILD         ?= $(BUILD)/fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_TARGETS       := request query body token claims env jwks cursor sync_token

FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -std=c11 $(WARN) -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:src/%.c=$(FUZZ_BUILD)/src/%.o)
FUZZ_LIB     := $(FUZZ_BUILD)/libtaskapi.a
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-smoke fuzz-build

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) long $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) smoke $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# The library gets coverage instrumentation, not libFuzzer's main().
$(FUZZ_BUILD)/src/%.o: src/%.c | deps-quiet
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(DEPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(DEPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)
