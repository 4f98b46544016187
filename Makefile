# Thin wrapper: every target is one call of the harness's command line, so
# `python -m scripts <command>` does the same where there is no make (Windows).
# Logic lives in scripts/, never here.

PYTHON  ?= python3
HARNESS  = $(PYTHON) -m scripts
VARIANT ?= baseline
FLAVOR  ?= release
JOBS    ?=
TESTS   ?=
REFLEAK ?=
PATCHES_FROM ?=
CHECKS  ?=
VARIANTS ?=
BENCH   ?=
QUICK   ?=
RUN     ?=
DICT    ?=
RESULTS ?=
PYPERFORMANCE ?=
OUT     ?=
ALLOW_DIRTY ?=
ROUNDS  ?=

JOBS_ARG = $(if $(JOBS),--jobs $(JOBS))
DICT_ARG = $(if $(DICT),--dict "$(DICT)")

.PHONY: help deps fetch build regrtest lint-patches variants bench sweep-dict verify-condvar verify green-threads instructions report summary cross-report test clean

help:
	@$(HARNESS) --help

deps:
	$(HARNESS) deps

fetch:
	$(HARNESS) fetch

build:
	$(HARNESS) build --variant $(VARIANT) --flavor $(FLAVOR) $(JOBS_ARG) $(DICT_ARG)

regrtest:
	$(HARNESS) regrtest --variant $(VARIANT) --flavor $(FLAVOR) --tests "$(TESTS)" $(if $(REFLEAK),--refleak) $(if $(PATCHES_FROM),--patches-from "$(PATCHES_FROM)") $(JOBS_ARG) $(DICT_ARG)

lint-patches:
	$(HARNESS) lint-patches

variants:
	$(HARNESS) variants

bench:
	$(HARNESS) bench $(if $(VARIANTS),--variants "$(VARIANTS)") $(if $(BENCH),--bench "$(BENCH)") --flavor $(FLAVOR) $(if $(QUICK),--quick) $(if $(PYPERFORMANCE),--pyperformance $(PYPERFORMANCE)) $(if $(ALLOW_DIRTY),--allow-dirty) $(if $(ROUNDS),--rounds $(ROUNDS)) $(JOBS_ARG)

sweep-dict:
	$(HARNESS) sweep-dict --flavor $(FLAVOR) $(if $(QUICK),--quick) $(JOBS_ARG)

verify-condvar:
	$(HARNESS) verify-condvar $(if $(filter-out baseline,$(VARIANT)),--variant $(VARIANT)) $(JOBS_ARG)

verify:
	$(HARNESS) verify $(if $(VARIANTS),--variants "$(VARIANTS)") $(if $(CHECKS),--checks "$(CHECKS)") $(JOBS_ARG)

green-threads:
	$(HARNESS) green-threads --variant $(VARIANT) --flavor $(FLAVOR) $(JOBS_ARG)

instructions:
	$(HARNESS) instructions --variant $(VARIANT) --flavor $(FLAVOR) $(if $(OUT),--out "$(OUT)") $(JOBS_ARG) $(DICT_ARG)

report:
	$(HARNESS) report $(if $(RUN),--run "$(RUN)")

summary:
	$(HARNESS) summary $(if $(RESULTS),--results "$(RESULTS)")

cross-report:
	$(HARNESS) cross-report $(if $(RESULTS),--results "$(RESULTS)")

test:
	$(HARNESS) test $(if $(VARIANTS),--variants "$(VARIANTS)") $(JOBS_ARG)

clean:
	$(HARNESS) clean
