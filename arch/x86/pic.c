/* SPDX-License-Identifier: MIT */
/*
 * pic.c - silence the two 8259A PICs: every interrupt goes through the
 * local APICs instead.
 *
 *   master 8259 (ports 0x20/0x21): IRQ 0-7  -> vectors 0x20-0x27
 *   slave  8259 (ports 0xA0/0xA1): IRQ 8-15 -> vectors 0x28-0x2F,
 *                                  cascaded on the master's IRQ 2
 *
 * After reset (and as the BIOS leaves them) the master delivers IRQ 0-7
 * on vectors 8-15, the same numbers as CPU exceptions (#DF, #PF, ...).
 * Masking alone would still let a spurious IRQ 7 through as "vector 15",
 * so they are first reprogrammed (ICW1-ICW4) to 0x20-0x2F, then masked.
 * LINT0 is masked in every LAPIC as well, so nothing from them reaches a CPU.
 */
#include "arch/x86/pic.h"
#include "arch/x86/irq_vectors.h"
#include "arch/x86/io.h"

#define PIC_MASTER_CMD	0x20
#define PIC_MASTER_IMR	0x21
#define PIC_SLAVE_CMD	0xa0
#define PIC_SLAVE_IMR	0xa1

#define ICW1_INIT	0x10
#define ICW1_ICW4	0x01
#define ICW4_8086	0x01

/* The 8259 needs a moment between writes; port 0x80 (POST codes) is the
 * conventional way to spend it. */
static inline void pic_io_delay(void)
{
	outb(0x80, 0);
}

void mask_8259A(void)
{
	outb(PIC_MASTER_IMR, 0xff);
	outb(PIC_SLAVE_IMR, 0xff);

	outb(PIC_MASTER_CMD, ICW1_INIT | ICW1_ICW4);	pic_io_delay();
	outb(PIC_MASTER_IMR, ISA_IRQ_VECTOR(0));	pic_io_delay();	/* ICW2: base */
	outb(PIC_MASTER_IMR, 1 << 2);			pic_io_delay();	/* ICW3: slave on IRQ2 */
	outb(PIC_MASTER_IMR, ICW4_8086);		pic_io_delay();

	outb(PIC_SLAVE_CMD, ICW1_INIT | ICW1_ICW4);	pic_io_delay();
	outb(PIC_SLAVE_IMR, ISA_IRQ_VECTOR(8));		pic_io_delay();
	outb(PIC_SLAVE_IMR, 2);				pic_io_delay();	/* ICW3: cascade id */
	outb(PIC_SLAVE_IMR, ICW4_8086);			pic_io_delay();

	outb(PIC_MASTER_IMR, 0xff);
	outb(PIC_SLAVE_IMR, 0xff);
}
