/* SPDX-License-Identifier: MIT */
/*
 * tsc.c - calibrate the TSC against the 8254 PIT.
 *
 * PIT channel 2 counts down at 1.193182 MHz no matter how fast the CPU
 * is; we let it count a fixed interval (gate through port 0x61, the
 * speaker gate, with the speaker itself off) and see how far the TSC moved.
 * Under QEMU's -icount both clocks are virtual, so the result is exact and
 * repeatable.
 */
#include "arch/x86/tsc.h"
#include "kernel/div64.h"
#include "arch/x86/cpu.h"
#include "arch/x86/io.h"

#define PIT_HZ		1193182u
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_GATE	0x61
#define CAL_MS		5

u32 tsc_khz;
u64 tsc_boot;

/* TSC cycles while PIT channel 2 counts CAL_MS ms down to zero. */
static u64 tsc_cycles_per_window(void)
{
	u32 ticks = PIT_HZ * CAL_MS / 1000;
	u64 t0, t1;
	u8 gate;

	gate = inb(PIT_GATE);
	outb(PIT_GATE, (gate & ~0x02) | 0x01);	/* gate on, speaker off */
	outb(PIT_CMD, 0xb0);			/* ch2, lo/hi, mode 0 */
	outb(PIT_CH2, ticks & 0xff);
	outb(PIT_CH2, ticks >> 8);
	t0 = rdtsc();
	while (!(inb(PIT_GATE) & 0x20))		/* OUT2 goes high at 0 */
		;
	t1 = rdtsc();
	outb(PIT_GATE, gate);
	return t1 - t0;
}

/*
 * The median of three windows: under an emulator on a busy host the vCPU
 * may not run for a while just as OUT2 goes high, and that window then
 * reads long. Two such stalls in three windows are rare.
 */
void tsc_init(void)
{
	u64 w[3], t;

	for (int i = 0; i < 3; i++)
		w[i] = tsc_cycles_per_window();
	if (w[0] > w[1])
		t = w[0], w[0] = w[1], w[1] = t;
	if (w[1] > w[2])
		t = w[1], w[1] = w[2], w[2] = t;
	if (w[0] > w[1])
		t = w[0], w[0] = w[1], w[1] = t;
	tsc_khz = (u32)div_u64(w[1], CAL_MS);
	if (!tsc_khz)
		tsc_khz = 1;
}

u64 ktime_get_ns(void)
{
	u64 c;
	u32 rem;

	if (!tsc_khz)
		return 0;
	c = rdtsc() - tsc_boot;
	/* c * 10^6 / khz, split so the product cannot overflow 64 bits */
	rem = do_div(c, tsc_khz);
	return c * 1000000 + div_u64((u64)rem * 1000000, tsc_khz);
}

void udelay(u32 us)
{
	u64 end = rdtsc() + div_u64((u64)tsc_khz * us, 1000);

	while (rdtsc() < end)
		cpu_relax();
}
