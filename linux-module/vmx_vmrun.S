/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: entering a VMX guest.
 *
 * int hwvirt_vmx_vmrun(u64 *regs, int launched);
 *
 * Called with interrupts disabled and the vCPU's VMCS current on this
 * CPU.  regs[] holds the guest's general registers in x86 encoding
 * order; RSP travels in the VMCS (GUEST_RSP), the rest here.  HOST_RSP is
 * written here, the stack being what it is at VMLAUNCH/VMRESUME; HOST_RIP
 * (hwvirt_vmx_vmexit) was written with the VMCS's other host state.
 * Returns 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed (VMfail:
 * the guest never ran, its registers are left as they were).
 *
 * void hwvirt_vmx_do_nmi(void (*handler)(void));
 *
 * A VM exit caused by an NMI consumed it: call the kernel's NMI entry
 * with the frame an NMI would have pushed, so that its IRET ends the NMI
 * blocking the exit left in effect.
 */

#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define REG(n)		(n * 8)
#define RAX		REG(0)
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

#define VMCS_HOST_RSP	0x6c14

	.text
SYM_FUNC_START(hwvirt_vmx_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* regs: the top of the stack at exit */

	mov	$VMCS_HOST_RSP, %rax
	vmwrite	%rsp, %rax

	/* Flags say VMLAUNCH or VMRESUME; the MOVs below keep them. */
	test	%esi, %esi

	mov	%rdi, %rax
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
	mov	RAX(%rax), %rax

	UNWIND_HINT_SAVE
	jnz	1f
	vmlaunch
	jmp	.Lvmfail
1:	vmresume
	jmp	.Lvmfail

SYM_INNER_LABEL(hwvirt_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* RSP is HOST_RSP again: regs on top. */
	push	%rax
	mov	8(%rsp), %rax
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
	popq	RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

.Lvmfail:
	mov	$1, %eax

.Lout:
	/* The guest may have steered the return stack buffer: refill it. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE

	/* Leave no guest value in registers the host does not restore. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(hwvirt_vmx_vmrun)

SYM_FUNC_START(hwvirt_vmx_do_nmi)
	push	%rbp
	mov	%rsp, %rbp
	/* An interrupt frame: SS, RSP, RFLAGS, CS, and the CALL's RIP. */
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	CALL_NOSPEC rdi
	leave
	RET
SYM_FUNC_END(hwvirt_vmx_do_nmi)
