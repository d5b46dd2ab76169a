# Task API: FastCGI programs in C behind nginx, on PostgreSQL.
#   make run    install what is missing, build, start everything on 127.0.0.1:8080
#   make stop   stop what make run (and make run-ha) started
#   make run-ha the same on several hosts of this machine: etcd, two
#               PostgreSQL nodes under Patroni, two app hosts, a front nginx
#   make ha-status  one line per part of make run-ha's instance
#   make test   build and run the whole suite: a short fuzz run, then the
#               suite plain, the page in a browser, behind the real Better
#               Auth, through Apache as plain CGI, under valgrind
#               and under ASan+UBSan behind PgBouncer
#   make unit   the unit suites alone: no servers, a few seconds
#   make lint   the checks of the tree: contract citations, OpenAPI, includes,
#               names, sizes (make check: lint and unit)
#   make test-better-auth  the API behind the real Better Auth (npm)
#   make fuzz   run every fuzz target for FUZZ_SECONDS (60) each
#   make bench  the API beside this machine's floors (bench/run)
#   make install, make dist   see install.mk (README: Deploy)

PORT     ?= 8080
WORKERS  ?= 2
BUILD    ?= build
RUN_DIR  ?= .run
ENV_FILE ?= taskapi.env

PKGS     := libjwt json-c libpq libcrypto libcurl libidn2
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wno-unused-parameter
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
ifdef SANITIZE
CFLAGS   := -O1 -g -fno-omit-frame-pointer \
            -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
HARDEN   := -fPIE
endif
CPPFLAGS += -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPFLAGS  = -MMD -MP
ALL_CFLAGS = -std=c11 $(WARN) $(HARDEN) $(CFLAGS)
LDLIBS   += -lfcgi -lscrypt -lzxcvbn -lunistring -lm $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDFLAGS  += -pie -Wl,-z,relro,-z,now

# A program per route of the table of routes, cgi-bin/routes.txt.
PROGRAMS := $(shell scripts/routes names)
ifeq ($(PROGRAMS),)
$(error scripts/routes found no route in cgi-bin/routes.txt)
endif
# Apache's own errors as JSON, for shared hosting (plain CGI only).
PROGRAMS += http_error
LIB_SRC  := $(wildcard src/*/*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/src/%.o)
# The table itself, as C (app/route.h's route_table): scripts/routes writes
# it into $(BUILD)/gen/, and the library compiles it in with its sources.
LIB_OBJ  += $(BUILD)/gen/route_table.o
LIB      := $(BUILD)/libtaskapi.a
BINS     := $(PROGRAMS:%=$(BUILD)/cgi-bin/%)
# Two Criterion binaries. The unit suites (tests/unit) need no server and
# link only the support modules they use; the integration suites
# (tests/integration) need the instance tests/run starts. The stand-in
# issuer's main, tests/support/jwks-server.c, is a program of its own.
SUPPORT_SRC := $(filter-out tests/support/jwks-server.c,$(wildcard tests/support/*.c))
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%.o) \
            $(patsubst %,$(BUILD)/tests/support/%.o,helpers keys jwks_server)
UNIT_BIN := $(BUILD)/tests/unit-tests
TEST_SRC := $(wildcard tests/integration/*.c) $(SUPPORT_SRC)
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.o)
TEST_BIN := $(BUILD)/tests/taskapi-tests

.PHONY: all deps run run-ha ha-status stop test check unit lint clean migrate bench test-better-auth
.DELETE_ON_ERROR:
# Keep object files: they are inputs of both the programs and the tests.
.SECONDARY:

all: $(BINS)

deps:
	@scripts/deps

# Every object also writes the list of headers it read (-MMD), which the
# include below reads back: a changed header rebuilds exactly its users.
$(BUILD)/src/%.o: src/%.c | deps-quiet
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/cgi-bin/%.o: cgi-bin/%.c | deps-quiet
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/route_table.c: cgi-bin/routes.txt scripts/routes
	@mkdir -p $(@D)
	scripts/routes c >$@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c | deps-quiet
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Tests name the support headers by folder: #include "support/helpers.h".
$(BUILD)/tests/%.o: tests/%.c | deps-quiet
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(DEPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

# Made anew each time: ar only adds, and the object of a source file that
# was moved or split would stay in the archive and clash with its successor.
$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/cgi-bin/%: $(BUILD)/cgi-bin/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(TEST_BIN): $(TEST_OBJ) $(LIB) | $(BUILD)/tests/jwks-server
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion -lcurl $(LDLIBS)

$(UNIT_BIN): $(UNIT_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion -lcurl $(LDLIBS)

# The test instance's stand-in issuer of a JWKS (tests/run starts it).
$(BUILD)/tests/jwks-server: $(BUILD)/tests/support/jwks-server.o \
    $(BUILD)/tests/support/jwks_server.o $(BUILD)/tests/support/keys.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The unit suites: no server, no instance, a few seconds; the last line is
# Criterion's summary and any failure fails make. Under ASan a leak only
# prints a report, which leaves Criterion's exit status alone: aborting
# there makes it a failure (UBSan already stops at its first report).
ifdef SANITIZE
UNIT_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
            UBSAN_OPTIONS=print_stacktrace=1
endif
unit: $(UNIT_BIN)
	@$(UNIT_ENV) $(UNIT_BIN)

# The checks of the tree itself (tests/lint/run): the contract's
# citations, the OpenAPI file, the include graph, names, sizes, the route
# and settings tables against what repeats them.
lint: deps
	@tests/lint/run

# What needs no running instance.
check: lint unit

# Packages are checked once per make invocation, before the first compile.
.PHONY: deps-quiet
deps-quiet:
	@scripts/deps --quiet

run: deps all
	@RUN_DIR=$(RUN_DIR) PORT=$(PORT) WORKERS=$(WORKERS) BIN_DIR=$(BUILD)/cgi-bin \
	    ENV_FILE=$(ENV_FILE) scripts/stack run

# make run-ha's instance (scripts/ha): in .run-ha unless RUN_DIR is given.
HA_RUN_DIR ?= $(if $(filter command line environment,$(origin RUN_DIR)),$(RUN_DIR),.run-ha)

run-ha: deps all
	@RUN_DIR=$(HA_RUN_DIR) PORT=$(PORT) WORKERS=$(WORKERS) BIN_DIR=$(BUILD)/cgi-bin \
	    ENV_FILE=$(ENV_FILE) scripts/ha start

ha-status:
	@RUN_DIR=$(HA_RUN_DIR) scripts/ha status

stop:
	@RUN_DIR=$(RUN_DIR) scripts/stack stop
	@if [ -f $(HA_RUN_DIR)/ha.env ]; then RUN_DIR=$(HA_RUN_DIR) scripts/ha stop; fi

migrate:
	sql/migrate

# The whole suite, three times: as built for production, with every worker
# under valgrind's memcheck, then under ASan+UBSan (programs and tests
# alike) behind PgBouncer in transaction mode. Around them: a short fuzz
# run, the page at / in headless Chromium, the
# nginx + systemd deployment (tests/e2e/deploy), the API on make run-ha's
# topology through failovers under load, then its front nginx's rules
# (tests/e2e/ha/run runs tests/e2e/ha/front on the same cluster), the API
# behind the real Better Auth, and the suite through Apache as plain CGI
# (make install, the .htaccess; then the virtual host), and the suites of
# what only Apache's path runs (the CGI body read, exact route ends, its
# early errors) once more with the ASan+UBSan programs.
# First the lints; then everything is built, on every core (the programs,
# the tests, the fuzz targets, the SQL bundle that make install copies;
# then the ASan build), each build's unit suites after it; the fuzz run
# between the two, alone as before (its 5 s per target are a time, not a
# count of inputs: beside other work they would try fewer). Then
# tests/passes runs the other passes in lanes side by side (it says which
# and why). The last line is Criterion's summary.
test: deps
	@mkdir -p $(BUILD) && date +%s >$(TEST_CLOCK)
	@tests/lint/run
	@$(call test_phase,build) $(MAKE) --no-print-directory -j$(TEST_JOBS) all $(TEST_BIN) \
	    $(UNIT_BIN) $(SQL_BUNDLE) fuzz-build
	@$(MAKE) --no-print-directory unit
	@$(call test_phase,fuzz) $(MAKE) --no-print-directory fuzz-smoke
	@$(call test_phase,asan build) $(MAKE) --no-print-directory -j$(TEST_JOBS) BUILD=$(BUILD)/asan \
	    SANITIZE=1 all $(BUILD)/asan/tests/taskapi-tests $(BUILD)/asan/tests/unit-tests
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 unit
	@TEST_CLOCK=$(TEST_CLOCK) tests/passes $(BUILD)

# Each pass of make test says when it starts, counted from make test's
# start, so a slow pass shows in CI's log (the last line stays Criterion's).
TEST_CLOCK := $(BUILD)/.test-began
test_phase = echo "make test: $(1), at $$(( $$(date +%s) - $$(cat $(TEST_CLOCK)) )) s";
TEST_JOBS := $(shell nproc 2>/dev/null || echo 2)

# A headless Better Auth (email and password, the jwt() plugin) signs its
# users' tokens with EdDSA, ES256, RS256, PS256 and ES512, and they drive
# the task routes; better-auth and pg come from npm into $(BUILD)/better-auth.
test-better-auth: deps
	@$(MAKE) --no-print-directory all
	@tests/e2e/better-auth/run $(BUILD)

clean:
	rm -rf $(BUILD)

# Throughput and latency beside the floors of this machine (bench/run).
$(BUILD)/bench/%.o: bench/%.c | deps-quiet
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/bench/benchtool: $(BUILD)/bench/benchtool.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/benchtool
	@BUILD=$(BUILD) WORKERS=$(WORKERS) bench/run

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

include tests/fuzz/fuzz.mk
include install.mk
