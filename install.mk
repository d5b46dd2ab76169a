# install.mk: make install and make dist (included by the Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=...]   the GNU layout:
#     CGIDIR      $(LIBEXECDIR)/taskapi  the programs (FastCGI or CGI) and,
#                 for Apache, their .htaccess
#     SQLDIR      $(DATADIR)/taskapi/sql  migrations, sql/migrate, and
#                 taskapi.sql (all of them in one file, for a web console)
#     EXAMPLEDIR  $(DATADIR)/taskapi/examples  taskapi.env, Apache configs
#     DOCDIR      $(DATADIR)/doc/taskapi  README.md, openapi.yaml
#     BINDIR      $(PREFIX)/bin  taskapi-migrate (runs SQLDIR's migrate)
#   Shared hosting, straight into the web root:
#     make install PREFIX=$HOME/taskapi CGIDIR=$HOME/public_html/api
#
#   make dist   $(BUILD)/taskapi-$(VERSION).tar.gz, the programs built here
#               and everything an admin uploads (README: Deploy).

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR    ?= $(PREFIX)/share
CGIDIR     ?= $(LIBEXECDIR)/taskapi
SQLDIR     ?= $(DATADIR)/taskapi/sql
EXAMPLEDIR ?= $(DATADIR)/taskapi/examples
DOCDIR     ?= $(DATADIR)/doc/taskapi
INSTALL    ?= install
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)

MIGRATIONS := $(wildcard sql/[0-9]*.sql)
SQL_BUNDLE := $(BUILD)/taskapi.sql
DIST_NAME   = taskapi-$(VERSION)
DIST_DIR    = $(BUILD)/dist/$(DIST_NAME)

.PHONY: install dist

# Every migration in one file: what an admin without a shell pastes.
$(SQL_BUNDLE): sql/bundle $(MIGRATIONS) sql/grants.sql
	@mkdir -p $(@D)
	sql/bundle >$@

install: all $(SQL_BUNDLE)
	$(INSTALL) -d $(DESTDIR)$(CGIDIR) $(DESTDIR)$(SQLDIR) \
	    $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 755 $(BINS) $(DESTDIR)$(CGIDIR)/
	$(INSTALL) -m 644 apache/htaccess $(DESTDIR)$(CGIDIR)/.htaccess
	$(INSTALL) -m 644 $(MIGRATIONS) sql/grants.sql $(SQL_BUNDLE) \
	    $(DESTDIR)$(SQLDIR)/
	$(INSTALL) -m 755 sql/migrate sql/bundle $(DESTDIR)$(SQLDIR)/
	$(INSTALL) -m 644 apache/taskapi.env.example apache/vhost.conf \
	    apache/htaccess-root $(DESTDIR)$(EXAMPLEDIR)/
	$(INSTALL) -m 644 README.md docs/openapi.yaml $(DESTDIR)$(DOCDIR)/
	@# A command on the PATH; sql/migrate finds its migrations beside itself.
	@if [ -n "$(BINDIR)" ]; then \
	    $(INSTALL) -d $(DESTDIR)$(BINDIR) && \
	    printf '#!/bin/sh\nexec "%s/migrate" "$$@"\n' "$(SQLDIR)" \
	        >$(DESTDIR)$(BINDIR)/taskapi-migrate && \
	    chmod 755 $(DESTDIR)$(BINDIR)/taskapi-migrate; \
	fi

# The tarball unpacks to one folder an admin can keep anywhere:
#   api/       the programs and .htaccess: upload it as the web root's api/
#   api/lib/   the libraries they need beyond the C library (a shared host
#              has no libjwt or libfcgi), found through the programs' rpath
#   sql/       migrations, migrate, taskapi.sql
#   examples/  taskapi.env, the virtual host, the domain root's .htaccess
# The programs are relinked (not recompiled) with that rpath: DT_RPATH, not
# RUNPATH, because only RPATH also serves the libraries' own dependencies
# (libpq's libssl). The host needs glibc 2.34 or later.
DIST_SYSTEM_LIBS := linux-vdso|ld-linux|/libc\.so|/libm\.so|/libresolv\.so|/libpthread\.so|/libdl\.so|/librt\.so

dist: all $(SQL_BUNDLE)
	rm -rf $(BUILD)/dist
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DIST_DIR)) \
	    PREFIX= BINDIR= CGIDIR=/api SQLDIR=/sql EXAMPLEDIR=/examples DOCDIR=/
	for p in $(PROGRAMS); do \
	    $(CC) $(LDFLAGS) -Wl,--disable-new-dtags,-rpath,'$$ORIGIN/lib' \
	        -o $(DIST_DIR)/api/$$p $(BUILD)/cgi-bin/$$p.o $(LIB) $(LDLIBS) || exit 1; \
	done
	mkdir -p $(DIST_DIR)/api/lib
	ldd $(BINS) | awk '$$3 ~ /^\// { print $$3 }' | sort -u | \
	    grep -Ev '$(DIST_SYSTEM_LIBS)' | xargs -I{} cp -L {} $(DIST_DIR)/api/lib/
	tar -C $(BUILD)/dist -czf $(BUILD)/$(DIST_NAME).tar.gz $(DIST_NAME)
	@echo "dist: $(BUILD)/$(DIST_NAME).tar.gz ($$(du -h $(BUILD)/$(DIST_NAME).tar.gz | cut -f1))"
