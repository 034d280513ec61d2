/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: entering an SVM guest.
 *
 * void hwvirt_svm_vmrun(unsigned long vmcb_pa, u64 *regs,
 *                       unsigned long host_save_pa);
 *
 * Called with GIF clear (CLGI), so no interrupt or NMI arrives between
 * VMLOAD and VMRUN or between VMSAVE and the host's VMLOAD, while FS, GS,
 * TR and the syscall MSRs hold guest values.  regs[] holds the guest's
 * general registers in x86 encoding order; RAX and RSP travel in the VMCB.
 */

#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#define REG(n)		(n * 8)
#define RCX		REG(1)
#define RDX		REG(2)
#define RBX		REG(3)
#define RBP		REG(5)
#define RSI		REG(6)
#define RDI		REG(7)
#define R8		REG(8)
#define R9		REG(9)
#define R10		REG(10)
#define R11		REG(11)
#define R12		REG(12)
#define R13		REG(13)
#define R14		REG(14)
#define R15		REG(15)

	.text
SYM_FUNC_START(hwvirt_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx			/* host save area */
	push	%rsi			/* regs */
	push	%rdi			/* VMCB */

	/* The host's FS, GS, TR, LDTR and syscall MSRs, for after the exit. */
	mov	%rdx, %rax
	vmsave	%rax

	/* Guest registers, RAX and RSP aside. */
	mov	%rsi, %rax
	mov	RCX(%rax), %rcx
	mov	RDX(%rax), %rdx
	mov	RBX(%rax), %rbx
	mov	RBP(%rax), %rbp
	mov	RSI(%rax), %rsi
	mov	RDI(%rax), %rdi
	mov	R8(%rax), %r8
	mov	R9(%rax), %r9
	mov	R10(%rax), %r10
	mov	R11(%rax), %r11
	mov	R12(%rax), %r12
	mov	R13(%rax), %r13
	mov	R14(%rax), %r14
	mov	R15(%rax), %r15

	mov	(%rsp), %rax		/* VMCB */
	vmload	%rax
	vmrun	%rax
	vmsave	%rax

	/* #VMEXIT restored the host RSP and RAX (the VMCB address). */
	mov	8(%rsp), %rax		/* regs */
	mov	%rcx, RCX(%rax)
	mov	%rdx, RDX(%rax)
	mov	%rbx, RBX(%rax)
	mov	%rbp, RBP(%rax)
	mov	%rsi, RSI(%rax)
	mov	%rdi, RDI(%rax)
	mov	%r8, R8(%rax)
	mov	%r9, R9(%rax)
	mov	%r10, R10(%rax)
	mov	%r11, R11(%rax)
	mov	%r12, R12(%rax)
	mov	%r13, R13(%rax)
	mov	%r14, R14(%rax)
	mov	%r15, R15(%rax)

	mov	16(%rsp), %rax		/* host save area */
	vmload	%rax

	/* The guest may have steered the return stack buffer: refill it. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	/* Leave no guest value in registers the host does not restore. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(hwvirt_svm_vmrun)
