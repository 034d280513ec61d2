/*
 * A boot sector that triple-faults on purpose: it says so on COM1, loads
 * an empty IDT and executes INT3.  With no IDT the #BP cannot be
 * delivered (#GP), nor can the #GP (#DF), nor the #DF: the CPU shuts down.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */

#define COM1	0x3f8

	.text
	.code16
	.globl _start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	$msg, %si
1:	lodsb
	test	%al, %al
	jz	2f
	mov	$COM1, %dx
	out	%al, %dx
	jmp	1b
2:	lidt	idt_desc
	int3
3:	hlt
	jmp	3b

idt_desc:
	.word	0
	.long	0
msg:	.asciz	"hwvirt-bm: triple fault next\n"

	.org	510
	.word	0xaa55
