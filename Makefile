# SPDX-License-Identifier: MIT
# kmaplab - build, run and test the kernel.
#
#   make            build/kernel.elf, build/kernel.iso (+ kernel.asm, kernel.sym)
#   make run        boot the ISO in QEMU, serial console on this terminal,
#                   ending at the kmaplab> monitor
#   make test       boot the whole test matrix, end with "N passed, N failed"
#   make bench      the benchmark table (instruction counts under -icount)
#   make debug      QEMU halted with a gdb stub, and gdb attached with
#                   tools/gdb/kmaplab.py (DEBUG=1: an -Og build in build-debug/)
#   make torture    kmaptorture for SECS seconds (default 60) at SMP CPUs
#   make trace      the traced kernel at SMP CPUs, its event trace drawn as
#                   build/trace/trace.json (Perfetto) and trace.svg
#                   (make trace-screenshot: that SVG drawn by headless Chromium)
#   make linux      fetch Debian's 686-pae Linux 6.1 into build/linux, build kmapcmp.ko
#   make compare    kmaplab's kmap cases and benchmarks beside the same in Linux
#   make lab LAB=n  a student's tree for lab n (labs/), in build/labs/labn
#   make grade      in a student's tree: the lab's graded cases, "Score: N/M"
#   make test-labs  every lab's stubs score 0 and harm nothing; solutions full
#
# QEMU knobs: MEM=4G SMP=4 CPU=max ARGS='...' ACCEL=tcg

MEM   ?= 4G
SMP   ?= 4
CPU   ?= max
ARGS  ?=
ACCEL ?= tcg

CC      := gcc
LD      := ld
OBJCOPY := objcopy
OBJDUMP := objdump
NM      := nm
QEMU    := qemu-system-i386

# DEBUG=1: the same kernel at -Og, in its own folder, so that gdb can step
# through it and show arguments (make debug DEBUG=1, or any target).
# Functions stay 16-byte aligned as at -O2: the symbol tests (traps_test.c)
# look a few bytes into a function whose body -Og shrinks to one `ret`.
DEBUG ?=
ifeq ($(DEBUG),1)
B   := build-debug
OPT := -Og -falign-functions=16
else
B   := build
OPT := -O2
endif

CFLAGS := -m32 -march=i686 -std=gnu11 $(OPT) -g -ffreestanding -fno-pic -fno-pie \
	  -fno-stack-protector -fno-omit-frame-pointer -fno-strict-aliasing \
	  -fno-asynchronous-unwind-tables -mgeneral-regs-only -mno-red-zone \
	  -fno-builtin -fcf-protection=none -fmacro-prefix-map=./= \
	  -Wall -Wextra -Werror -Wno-unused-parameter -I. -MMD -MP
ASFLAGS := -m32 -march=i686 -g -I. -D__ASSEMBLER__ -MMD -MP
LDFLAGS := -m elf_i386 -T linker.ld -nostdlib --no-warn-rwx-segments -z noexecstack


SRCS_C := $(wildcard kernel/*.c arch/x86/*.c mm/*.c tests/kernel/*.c tests/torture/*.c)
SRCS_S := $(wildcard boot/*.S arch/x86/*.S kernel/*.S)
OBJS   := $(SRCS_C:%.c=$(B)/%.o) $(SRCS_S:%.S=$(B)/%.o)

.PHONY: all run run-kernel test bench debug clean deps torture trace linux compare

all: $(B)/kernel.elf $(B)/kernel.iso

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(ASFLAGS) -c $< -o $@

# variant_objects DIR,FLAG: compile every source again into DIR with FLAG,
# for a kernel variant whose extra code the ordinary kernel must not carry.
define variant_objects
$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $(2) -c $$< -o $$@

$(1)/%.o: %.S
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ASFLAGS) $(2) -c $$< -o $$@
endef

# The injection build: the same sources with -DCONFIG_KMAP_INJECT, so that
# inject=NAME can swap in a broken variant (kernel/inject.h). Its objects
# live apart; the kernel everybody runs and benchmarks has no trace of it.
INJ      := $(B)/inject
INJ_OBJS := $(SRCS_C:%.c=$(INJ)/%.o) $(SRCS_S:%.S=$(INJ)/%.o)
$(eval $(call variant_objects,$(INJ),-DCONFIG_KMAP_INJECT))

# The traced build: the same sources with -DCONFIG_KMAP_TRACE, so that
# trace=kmap records events (kernel/trace.h). Apart, like the injection
# build: in the ordinary kernel trace_event() is not even compiled.
TRC      := $(B)/trace
TRC_OBJS := $(SRCS_C:%.c=$(TRC)/%.o) $(SRCS_S:%.S=$(TRC)/%.o)
$(eval $(call variant_objects,$(TRC),-DCONFIG_KMAP_TRACE))

# link_kernel OUT,OBJS,DIR: two links. The first finds where every function
# lands; the second embeds that table (in .ksyms, after .data, so no
# function moves) for backtraces. Nothing but our objects is linked: a
# call into libgcc fails here, with the helper to use instead.
define link_kernel
	@$(LD) $(LDFLAGS) -o $(3)/kernel.pass1 $(2) 2>$(3)/link.err || { \
	  cat $(3)/link.err; \
	  if grep -qE "undefined reference to .__(u?(div|mod|divmod)di[34]|popcount[sd]i2)" $(3)/link.err; then \
	    echo "kmaplab links without libgcc: use do_div()/div_u64() (kernel/div64.h) for 64-bit division and hweight32() (kernel/bitops.h) for popcount"; \
	  fi; exit 1; }
	sh tools/gen-ksyms.sh $(3)/kernel.pass1 > $(3)/ksyms.S
	$(CC) $(ASFLAGS) -c $(3)/ksyms.S -o $(3)/ksyms.o
	$(LD) $(LDFLAGS) -o $(1) $(2) $(3)/ksyms.o
	$(NM) -n $(3)/kernel.pass1 | grep -i ' t ' > $(3)/pass1.text
	$(NM) -n $(1) | grep -i ' t ' > $(3)/final.text
	cmp -s $(3)/pass1.text $(3)/final.text || { echo "ksyms: text moved between links"; exit 1; }
endef

$(B)/kernel.elf: $(OBJS) linker.ld tools/gen-ksyms.sh
	$(call link_kernel,$@,$(OBJS),$(B))
	$(OBJDUMP) -S $@ > $(B)/kernel.asm
	$(NM) -n $@ > $(B)/kernel.sym

$(B)/kernel-inject.elf: $(INJ_OBJS) linker.ld tools/gen-ksyms.sh
	$(call link_kernel,$@,$(INJ_OBJS),$(INJ))

$(B)/kernel-trace.elf: $(TRC_OBJS) linker.ld tools/gen-ksyms.sh
	$(call link_kernel,$@,$(TRC_OBJS),$(TRC))

$(B)/kernel.iso: $(B)/kernel.elf boot/grub.cfg
	@mkdir -p $(B)/iso/boot/grub
	cp $(B)/kernel.elf $(B)/iso/boot/kernel.elf
	sed 's|@ARGS@||' boot/grub.cfg > $(B)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(B)/iso 2>$(B)/grub-mkrescue.log || { cat $(B)/grub-mkrescue.log; exit 1; }

deps:
	@sh tools/install-deps.sh

# Boot on this terminal and end with a verdict (tests/harness/run.py): the
# serial console is multiplexed with QEMU's monitor, so Ctrl-A X quits and
# Ctrl-A C reaches the monitor. A triple fault, a panic, a failed case or a
# report no test announced is a failure; quitting by hand after the kernel
# says it is done is judged on what it printed.
# ARGS with inject= boot the injection build, ARGS with trace= the traced one.
KERNEL := $(if $(findstring inject=,$(ARGS)),$(B)/kernel-inject.elf,$(if $(findstring trace=,$(ARGS)),$(B)/kernel-trace.elf,$(B)/kernel.elf))
RUN := python3 tests/harness/run.py --kernel $(KERNEL) --mem $(MEM) --smp $(SMP) \
	--cpu $(CPU) --accel $(ACCEL) --args "$(ARGS)"

# By hand, the run ends at the kmaplab> monitor (kernel/monitor.c) after
# "kmaplab: done"; MONITOR= (empty) leaves the CPUs idle instead. A
# poweroff in ARGS ends the run before the monitor starts.
MONITOR ?= monitor

# The real GRUB ISO (a per-run one carries ARGS in its menu entry).
run: deps all $(KERNEL)
	@$(RUN) --iso --args "$(strip $(MONITOR) $(ARGS))"

# The same kernel through QEMU's multiboot loader: faster, and needs
# neither GRUB nor xorriso.
run-kernel: $(KERNEL)
	@$(RUN) --args "$(strip $(MONITOR) $(ARGS))"

# kmaptorture for as long as you like: make torture SECS=600 SMP=4
SECS ?= 60
torture: $(KERNEL)
	@$(RUN) --args "test=none torture=kmap,secs=$(SECS) poweroff $(ARGS)"

# The traced kernel once, its console kept in build/trace/console.log, and
# the trace drawn: make trace ARGS='test=kmap,kmap_local' (trace=kmap and
# poweroff are added). tools/trace.py checks the trace's event counts
# against the kernel's end-of-run counters and fails when they differ.
trace: $(B)/kernel-trace.elf
	@mkdir -p $(TRC)
	{ python3 tests/harness/run.py --kernel $(B)/kernel-trace.elf --mem $(MEM) --smp $(SMP) \
	  --cpu $(CPU) --accel $(ACCEL) --args "$(ARGS) trace=kmap poweroff" </dev/null; \
	  echo $$? > $(TRC)/run.status; } | tee $(TRC)/console.log
	python3 tools/trace.py --check --json $(TRC)/trace.json --svg $(TRC)/trace.svg $(TRC)/console.log
	@exit $$(cat $(TRC)/run.status)

# The pictures in docs/ that come from a trace, each from its own traced
# run and drawn around the moment that matters (tools/trace.py --window):
#   kmap-wrap.svg         docs/kmap.md: one lap of the pool, its wrap and flush
#   kmap-local-switch.svg docs/kmap_local.md: stacks saved and put back
#   conversion-pattern-b.svg  docs/conversion.md: the naive Pattern B preempted
#   sched-migrate.svg     docs/scheduler.md: switches and migrations
PIC_LOCAL := kmap_local.switch_hooks_keep_every_nested_map_with_irq_maps_on_top
PIC_CONV  := conversion.pattern_b_naive_conversion_corrupts_the_buffer
PIC_SCHED := sched.load_balancing_spreads_threads_started_on_one_cpu
.PHONY: trace-pictures
trace-pictures:
	@mkdir -p docs/pictures
	$(MAKE) trace SMP=4 MEM=4G ARGS='test=kmap,kmap_local'
	python3 tools/trace.py --window wrap --svg docs/pictures/kmap-wrap.svg \
	  --title "make trace ARGS='test=kmap,kmap_local', 4 CPUs: one lap of the pkmap pool" $(TRC)/console.log
	$(MAKE) trace SMP=2 MEM=4G ARGS='test=$(PIC_LOCAL)'
	python3 tools/trace.py --window switch --svg docs/pictures/kmap-local-switch.svg \
	  --title "make trace SMP=2 ARGS='test=$(PIC_LOCAL)': two tasks' kmap_local stacks share one CPU's slots" $(TRC)/console.log
	$(MAKE) trace SMP=2 MEM=4G ARGS='test=$(PIC_CONV)'
	python3 tools/trace.py --window conversion --svg docs/pictures/conversion-pattern-b.svg \
	  --title "make trace SMP=2 ARGS='test=$(PIC_CONV)': preempted mid-checksum" $(TRC)/console.log
	$(MAKE) trace SMP=4 MEM=4G ARGS='test=$(PIC_SCHED)'
	python3 tools/trace.py --window migrate --svg docs/pictures/sched-migrate.svg \
	  --title "make trace ARGS='test=$(PIC_SCHED)', 4 CPUs: threads spread by load balancing" $(TRC)/console.log

# Optional: the last trace's picture drawn by a real browser (headless
# Chromium, Debian package chromium) into build/trace/trace.png, and the
# PNG checked to be drawn, not blank. Skips with one line without Chromium.
.PHONY: trace-screenshot
trace-screenshot:
	@test -f $(TRC)/trace.svg || $(MAKE) trace
	python3 tools/screenshot.py $(TRC)/trace.svg $(TRC)/trace.png

# The harness's own tests, the whole matrix (ONLY=config,... TEST=suite[.case],...),
# a real terminal driving `make run-kernel`, and the docs checked against the logs.
test: deps all $(B)/kernel-inject.elf $(B)/kernel-trace.elf
	python3 tests/harness/matrix.py --selftest
	python3 tools/lab.py check
	python3 tests/harness/doccheck.py --selftest
	python3 tests/harness/trace_test.py --boot
	python3 tests/harness/matrix.py --build $(B) --host-checks $(if $(ONLY),--only $(ONLY)) $(if $(TEST),--test $(TEST))

# The Linux 6.1 column is measured live when `make linux` has run.
bench: deps all
	python3 tests/harness/bench.py --build $(B)

# Linux beside kmaplab (docs/linux-comparison.md). The packages come from
# apt into build/linux (dpkg -x, nothing installed); registering dpkg's i386
# architecture needs root and LINUX_SETUP=1 (CI=true counts as consent).
linux:
	@sh tests/linux/fetch.sh $(B)/linux
	@python3 tests/harness/linux.py --module

# Fetches as `make linux` does; prints "linux comparison skipped: <reason>"
# (and succeeds) when the packages cannot be had. Not part of `make test`.
compare: $(B)/kernel.elf
	python3 tests/harness/compare.py --build $(B)

# The labs (labs/README.md). `make lab LAB=2` writes a student's tree in
# which the regions marked LAB(2) are stubs (tools/lab.py); `make grade`
# there boots the lab's suites and prints JOS-style points and a score.
# A tree made by `make lab` knows its lab (.lab); elsewhere say LAB=n.
LAB    ?= $(shell cat .lab 2>/dev/null)
LABDIR ?= $(B)/labs/lab$(LAB)
.PHONY: lab grade test-labs
lab:
	@test -n "$(LAB)" || { echo "make lab: which one? make lab LAB=n (labs/README.md lists them)"; exit 2; }
	@python3 tools/lab.py tree $(LAB) $(LABDIR)

grade: deps $(B)/kernel.elf
	@python3 tests/harness/grade.py --build $(B) $(if $(LAB),--lab $(LAB))

test-labs: deps $(B)/kernel.elf
	python3 tools/lab.py check
	python3 tests/harness/labs_test.py --build $(B)
	python3 tests/harness/doccheck.py --logs $(B)/test-logs labs/*.md

debug: $(B)/kernel.elf
	$(QEMU) -accel $(ACCEL) -m $(MEM) -smp $(SMP) -cpu $(CPU) -kernel $(B)/kernel.elf \
	  -append "$(ARGS)" -display none -serial file:$(B)/debug-serial.log -monitor none \
	  -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -s -S & \
	gdb -x tools/gdb/kmaplab.py $(B)/kernel.elf -ex 'target remote :1234' -ex 'break kmain'; kill %1 2>/dev/null || true

clean:
	rm -rf $(B)

-include $(OBJS:.o=.d) $(INJ_OBJS:.o=.d) $(TRC_OBJS:.o=.d)

# The same GRUB ISO under Bochs, a second x86 implementation (Debian:
# bochs bochsbios vgabios): 1 CPU with 3 GiB and 4 CPUs with 5 GiB, ending
# "N passed, N failed". test-bochs-short is the CI subset (2 CPUs, ~1 min,
# and the injected bug only Bochs can catch).
.PHONY: test-bochs test-bochs-short
test-bochs: deps all $(B)/kernel-inject.elf
	python3 tests/harness/bochs.py --build $(B)

test-bochs-short: deps all $(B)/kernel-inject.elf
	python3 tests/harness/bochs.py --build $(B) --short
