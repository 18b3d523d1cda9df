/* SPDX-License-Identifier: MIT */
/*
 * pic.h - the legacy 8259A interrupt controllers, which we silence.
 */
#ifndef ARCH_X86_PIC_H
#define ARCH_X86_PIC_H

/* Remap both 8259s to vectors 0x20-0x2F and mask every line. */
void mask_8259A(void);

#endif
