# kmaplab - build, run and test the kernel.
#
#   make            build/kernel.elf, build/kernel.iso (+ kernel.asm, kernel.sym)
#   make run        boot the ISO in QEMU, serial console on this terminal
#   make test       boot the whole test matrix, end with "N passed, N failed"
#   make bench      the benchmark table (instruction counts under -icount)
#   make debug      QEMU halted with a gdb stub, and gdb attached
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

B := build

CFLAGS := -m32 -march=i686 -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie \
	  -fno-stack-protector -fno-omit-frame-pointer -fno-strict-aliasing \
	  -fno-asynchronous-unwind-tables -mgeneral-regs-only -mno-red-zone \
	  -fno-builtin -fcf-protection=none -fmacro-prefix-map=./= \
	  -Wall -Wextra -Werror -Wno-unused-parameter -I. -MMD -MP
ASFLAGS := -m32 -march=i686 -g -I. -D__ASSEMBLER__ -MMD -MP
LDFLAGS := -m elf_i386 -T linker.ld -nostdlib --no-warn-rwx-segments -z noexecstack


SRCS_C := $(wildcard kernel/*.c arch/x86/*.c mm/*.c tests/kernel/*.c)
SRCS_S := $(wildcard boot/*.S arch/x86/*.S kernel/*.S)
OBJS   := $(SRCS_C:%.c=$(B)/%.o) $(SRCS_S:%.S=$(B)/%.o)

QEMU_BASE := -display none -serial stdio -monitor none -no-reboot \
	     -device isa-debug-exit,iobase=0xf4,iosize=0x04

.PHONY: all run run-kernel test bench debug clean deps

all: $(B)/kernel.elf $(B)/kernel.iso

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(ASFLAGS) -c $< -o $@

# Two links: the first finds where every function lands, the second embeds
# that table (in .ksyms, after .data, so no function moves) for backtraces.
$(B)/kernel.elf: $(OBJS) linker.ld tools/gen-ksyms.sh
	@$(LD) $(LDFLAGS) -o $(B)/kernel.pass1 $(OBJS) 2>$(B)/link.err || { \
	  cat $(B)/link.err; \
	  if grep -qE "undefined reference to .__(u?(div|mod|divmod)di[34]|popcount[sd]i2)" $(B)/link.err; then \
	    echo "kmaplab links without libgcc: use do_div()/div_u64() (kernel/div64.h) for 64-bit division and hweight32() (kernel/bitops.h) for popcount"; \
	  fi; exit 1; }
	sh tools/gen-ksyms.sh $(B)/kernel.pass1 > $(B)/ksyms.S
	$(CC) $(ASFLAGS) -c $(B)/ksyms.S -o $(B)/ksyms.o
	$(LD) $(LDFLAGS) -o $@ $(OBJS) $(B)/ksyms.o
	$(NM) -n $(B)/kernel.pass1 | grep -i ' t ' > $(B)/pass1.text
	$(NM) -n $@ | grep -i ' t ' > $(B)/final.text
	cmp -s $(B)/pass1.text $(B)/final.text || { echo "ksyms: text moved between links"; exit 1; }
	$(OBJDUMP) -S $@ > $(B)/kernel.asm
	$(NM) -n $@ > $(B)/kernel.sym

$(B)/kernel.iso: $(B)/kernel.elf boot/grub.cfg
	@mkdir -p $(B)/iso/boot/grub
	cp $(B)/kernel.elf $(B)/iso/boot/kernel.elf
	sed 's|@ARGS@||' boot/grub.cfg > $(B)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(B)/iso 2>$(B)/grub-mkrescue.log || { cat $(B)/grub-mkrescue.log; exit 1; }

deps:
	@sh tools/install-deps.sh

# Boot the real GRUB ISO. GRUB passes ARGS through its menu entry, which
# we rewrite into a per-run ISO only when ARGS is given.
run: deps all
	@if [ -n "$(ARGS)" ]; then \
	  mkdir -p $(B)/iso-run/boot/grub && cp $(B)/kernel.elf $(B)/iso-run/boot/ && \
	  sed 's|@ARGS@|$(ARGS)|' boot/grub.cfg > $(B)/iso-run/boot/grub/grub.cfg && \
	  grub-mkrescue -o $(B)/kernel-run.iso $(B)/iso-run 2>/dev/null && \
	  iso=$(B)/kernel-run.iso; else iso=$(B)/kernel.iso; fi; \
	echo "QEMU: -m $(MEM) -smp $(SMP) -cpu $(CPU) (quit: Ctrl-A X)"; \
	$(QEMU) -accel $(ACCEL) -m $(MEM) -smp $(SMP) -cpu $(CPU) -cdrom $$iso -boot d \
	  $(QEMU_BASE) ; rc=$$?; [ $$rc -eq 1 ] || [ $$rc -eq 0 ]

# The same kernel through QEMU's multiboot loader: faster, no GRUB.
run-kernel: all
	$(QEMU) -accel $(ACCEL) -m $(MEM) -smp $(SMP) -cpu $(CPU) -kernel $(B)/kernel.elf \
	  -append "$(ARGS)" $(QEMU_BASE); rc=$$?; [ $$rc -eq 1 ] || [ $$rc -eq 0 ]

test: deps all
	python3 tests/harness/matrix.py --build $(B)

bench: deps all
	python3 tests/harness/bench.py --build $(B)

debug: all
	$(QEMU) -accel $(ACCEL) -m $(MEM) -smp $(SMP) -cpu $(CPU) -kernel $(B)/kernel.elf \
	  -append "$(ARGS)" -display none -serial file:$(B)/debug-serial.log -monitor none \
	  -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 -s -S & \
	gdb $(B)/kernel.elf -ex 'target remote :1234' -ex 'break kmain'; kill %1 2>/dev/null || true

clean:
	rm -rf $(B)

-include $(OBJS:.o=.d)

# The same GRUB ISO under Bochs, a second x86 implementation (Debian:
# bochs bochsbios vgabios): 1 CPU with 3 GiB and 4 CPUs with 8 GiB, ending
# "N passed, N failed". test-bochs-short is the CI subset (2 CPUs, ~1 min).
.PHONY: test-bochs test-bochs-short
test-bochs: deps all
	python3 tests/harness/bochs.py --build $(B)

test-bochs-short: deps all
	python3 tests/harness/bochs.py --build $(B) --short
