/*
 * hwvirt bare-metal test payload.
 *
 * A boot sector that the BIOS loads at 0x7c00.  It loads the rest of
 * itself, then walks the x86 operating modes, reporting each on the
 * debug port 0xe9 and on COM1; in protected mode it also starts the
 * other CPUs (the count is in CMOS 0x5f) with INIT and SIPI through the
 * local APIC, and each says "hwvirt-bm: AP <APIC ID> up":
 *
 *   real mode -> protected mode (flat 4 GiB segments) -> 32-bit paging
 *   with 4 MiB pages -> PAE paging with 2 MiB pages (each checked through
 *   an alias of low memory at 1 GiB, then paging off again) -> long mode
 *   (PAE paging, identity map of the first GiB in 2 MiB pages) -> long
 *   mode with 5-level paging, if CPUID offers LA57 (the same map, and
 *   again at 0xff00000000000000, which only a 5-level walk reaches)
 *
 * In long mode it runs CPUID and a port read, then leaves through
 * isa-debug-exit (port 0xf4) with EXIT_OK, so QEMU's exit status is
 * (EXIT_OK << 1) | 1 = 33.  Any failure prints a line and exits with
 * EXIT_FAIL (status 3).  Lines start with "hwvirt-bm: ".
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */

#define DEBUG_PORT	0xe9
#define COM1		0x3f8
#define EXIT_PORT	0xf4
#define EXIT_OK		0x10
#define EXIT_FAIL	0x01

#define STAGE2_SECTORS	16		/* loaded after the boot sector */
#define APIC		0xfee00000
#define AP_TIMEOUT	0x4000000	/* PAUSEs to wait for the APs */
#define STACK_TOP	0x90000
#define PML4		0x70000
#define PDPT		0x71000
#define PD		0x72000
#define PML5		0x73000
#define PD32		0x74000		/* 32-bit paging's page directory */
#define PDPT_PAE	0x75000		/* PAE paging's PDPTEs and PDs */
#define PD_PAE0		0x76000
#define PD_PAE1		0x77000
#define ALIAS		0x40000000	/* low memory again, through paging */
/* PML5 slot 256: linear addresses 0xff00000000000000 and up. */
#define HIGH		0xff00000000000000

#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define CR4_PSE		(1 << 4)
#define CR4_PAE		(1 << 5)
#define CR4_LA57	(1 << 12)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PS		(1 << 7)

#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

	.text
	.code16
	.globl _start
_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7c00, %sp
	ljmp	$0, $1f			/* CS:IP = 0:7cxx whatever the BIOS used */
1:
	mov	%dl, boot_drive
	mov	$msg_real, %si
	call	print16

	/* Read sectors 2.. (CHS 0/0/2) to 0x7e00. */
	mov	$(0x0200 | STAGE2_SECTORS), %ax
	mov	$0x0002, %cx
	xor	%dh, %dh
	mov	boot_drive, %dl
	mov	$0x7e00, %bx
	int	$0x13
	jc	disk_error
	jmp	stage2

disk_error:
	mov	$msg_disk, %si
	call	print16
	mov	$EXIT_FAIL, %al
	out	%al, $EXIT_PORT
	cli
2:	hlt
	jmp	2b

/* print16: the NUL-terminated string at %ds:%si to both ports. */
print16:
	lodsb
	test	%al, %al
	jz	3f
	out	%al, $DEBUG_PORT
	mov	$COM1, %dx
	out	%al, %dx
	jmp	print16
3:	ret

boot_drive:	.byte 0
msg_real:	.asciz "hwvirt-bm: real mode\n"
msg_disk:	.asciz "hwvirt-bm: FAIL: cannot read the disk\n"

	.org	510
	.word	0xaa55

/* Stage 2, at 0x7e00. */
stage2:
	/* A20 through the fast gate. */
	in	$0x92, %al
	or	$2, %al
	and	$0xfe, %al
	out	%al, $0x92

	lgdt	gdt_desc
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmp	$SEL_CODE32, $pm32

	.code32
pm32:
	mov	$SEL_DATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	$STACK_TOP, %esp

	mov	$msg_prot, %esi
	call	print32

	/* A flat 32-bit write and read back above 1 MiB. */
	movl	$0x5a5aa5a5, 0x200000
	cmpl	$0x5a5aa5a5, 0x200000
	jne	fail32

	call	start_aps
	call	paging32
	call	paging_pae

	/* Long mode available? */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	bt	$29, %edx
	jnc	no_long_mode

	/* Identity-map the first GiB with 2 MiB pages. */
	mov	$PML4, %edi
	mov	$(3 * 4096 / 4), %ecx
	xor	%eax, %eax
	rep stosl
	movl	$(PDPT | PTE_P | PTE_W), PML4
	movl	$(PD | PTE_P | PTE_W), PDPT
	mov	$PD, %edi
	mov	$(PTE_P | PTE_W | PTE_PS), %eax
	mov	$512, %ecx
4:	mov	%eax, (%edi)
	movl	$0, 4(%edi)
	add	$0x200000, %eax
	add	$8, %edi
	loop	4b

	mov	%cr4, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$PML4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $lm64

no_long_mode:
	mov	$msg_nolm, %esi
	call	print32
fail32:
	mov	$msg_fail, %esi
	call	print32
	mov	$EXIT_FAIL, %al
	out	%al, $EXIT_PORT
5:	hlt
	jmp	5b

/*
 * 32-bit paging, 4 MiB pages: the first 8 MiB identity mapped, and again
 * at ALIAS; what protected mode wrote at 0x200000 must be there.
 */
paging32:
	mov	$PD32, %edi
	mov	$1024, %ecx
	xor	%eax, %eax
	rep stosl
	movl	$(0x000000 | PTE_P | PTE_W | PTE_PS), PD32
	movl	$(0x400000 | PTE_P | PTE_W | PTE_PS), PD32 + 4
	movl	$(0x000000 | PTE_P | PTE_W | PTE_PS), PD32 + (ALIAS >> 22) * 4
	mov	%cr4, %eax
	or	$CR4_PSE, %eax
	mov	%eax, %cr4
	mov	$PD32, %eax
	mov	%eax, %cr3
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0
	cmpl	$0x5a5aa5a5, ALIAS + 0x200000
	jne	fail32
	/* And a write through the alias shows in low memory. */
	movl	$0x32323232, ALIAS + 0x200004
	mov	%cr0, %eax
	and	$~CR0_PG, %eax
	mov	%eax, %cr0
	cmpl	$0x32323232, 0x200004
	jne	fail32
	mov	$msg_pg32, %esi
	jmp	print32

/* PAE paging, 2 MiB pages: the same with PDPTEs and 8-byte entries. */
paging_pae:
	mov	$PDPT_PAE, %edi
	mov	$(3 * 4096 / 4), %ecx
	xor	%eax, %eax
	rep stosl
	movl	$(PD_PAE0 | PTE_P), PDPT_PAE
	movl	$(PD_PAE1 | PTE_P), PDPT_PAE + 8
	movl	$(0x000000 | PTE_P | PTE_W | PTE_PS), PD_PAE0
	movl	$(0x200000 | PTE_P | PTE_W | PTE_PS), PD_PAE0 + 8
	movl	$(0x000000 | PTE_P | PTE_W | PTE_PS), PD_PAE1
	movl	$(0x200000 | PTE_P | PTE_W | PTE_PS), PD_PAE1 + 8
	mov	%cr4, %eax
	and	$~CR4_PSE, %eax
	or	$CR4_PAE, %eax
	mov	%eax, %cr4
	mov	$PDPT_PAE, %eax
	mov	%eax, %cr3
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0
	cmpl	$0x32323232, ALIAS + 0x200004
	jne	fail32
	movl	$0x64646464, ALIAS + 0x200008
	mov	%cr0, %eax
	and	$~CR0_PG, %eax
	mov	%eax, %cr0
	mov	%cr4, %eax
	and	$~CR4_PAE, %eax
	mov	%eax, %cr4
	cmpl	$0x64646464, 0x200008
	jne	fail32
	mov	$msg_pae, %esi
	jmp	print32

/*
 * The other CPUs, if CMOS 0x5f says there are: the APIC on, INIT and
 * SIPI (vector ap_entry >> 12) to all but ourselves, then wait for each
 * to check in at ap_count.
 */
start_aps:
	mov	$0x5f, %al
	out	%al, $0x70
	in	$0x71, %al
	movzbl	%al, %ebx			/* APs expected */
	test	%ebx, %ebx
	jz	9f
	movl	$0x1ff, APIC + 0xf0		/* SVR: on */
	movl	$0, APIC + 0x310
	movl	$0xc4500, APIC + 0x300		/* INIT, all but self */
	mov	$100, %ecx			/* about 10 ms of port reads */
1:	in	$0x61, %al
	loop	1b
	movl	$(0xc4600 | ((ap_entry - _start + 0x7c00) >> 12)), APIC + 0x300 /* SIPI */
	mov	$AP_TIMEOUT, %ecx
2:	cmp	%ebx, ap_count
	je	3f
	pause
	loop	2b
	mov	$msg_aps_missing, %esi
	call	print32
	jmp	fail32
3:	lock btsl $0, print_lock
	jc	3b
	mov	%bl, %al
	add	$'0', %al
	mov	%al, msg_aps_n
	mov	$msg_aps, %esi
	call	print32
	movl	$0, print_lock
9:	ret

print32:
	lodsb
	test	%al, %al
	jz	6f
	out	%al, $DEBUG_PORT
	mov	$COM1, %dx
	out	%al, %dx
	jmp	print32
6:	ret

	.code64
lm64:
	mov	$SEL_DATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$STACK_TOP, %rsp

	mov	$msg_long, %rsi
	call	print64

	/* Paging works: the same memory through a 2 MiB page. */
	movabs	$0x200000, %rbx
	cmpl	$0x5a5aa5a5, (%rbx)
	jne	fail64

	/* CPUID leaf 0 answers with a vendor. */
	xor	%eax, %eax
	cpuid
	test	%eax, %eax
	jz	fail64

	/* A port read (COM1's line status register). */
	mov	$(COM1 + 5), %dx
	in	%dx, %al

	/* 5-level paging, if CPUID leaf 7 offers LA57. */
	xor	%eax, %eax
	cpuid
	cmp	$7, %eax
	jb	no_la57
	mov	$7, %eax
	xor	%ecx, %ecx
	cpuid
	bt	$16, %ecx
	jnc	no_la57
	/*
	 * Set LA57 with paging off: through compatibility mode to 32-bit
	 * protected mode, then paging on again with a PML5 on top.
	 */
	movl	$(PML4 | PTE_P | PTE_W), PML5
	movl	$(PML4 | PTE_P | PTE_W), PML5 + 256 * 8
	pushq	$SEL_CODE32
	pushq	$la57_pm32
	lretq

	.code32
la57_pm32:
	mov	%cr0, %eax
	and	$~CR0_PG, %eax
	mov	%eax, %cr0		/* long mode off (LME stays) */
	mov	%cr4, %eax
	or	$CR4_LA57, %eax
	mov	%eax, %cr4
	mov	$PML5, %eax
	mov	%eax, %cr3
	mov	%cr0, %eax
	or	$CR0_PG, %eax
	mov	%eax, %cr0		/* long mode again, 5 levels */
	ljmp	$SEL_CODE64, $la57_64

	.code64
la57_64:
	mov	%cr4, %rax
	bt	$12, %rax
	jnc	fail64
	/* The test word through PML5 slot 256: the CPU's 5-level walk. */
	movabs	$(HIGH + 0x200000), %rbx
	cmpl	$0x5a5aa5a5, (%rbx)
	jne	fail64
	/*
	 * The message from its high alias by string I/O: the hypervisor
	 * walks the 5-level tables itself to find the bytes.
	 */
	movabs	$(HIGH + msg_la57), %rsi
	mov	$(msg_la57_end - msg_la57), %ecx
	mov	$COM1, %dx
	cld
	rep outsb
	jmp	done

no_la57:
	mov	$msg_nola57, %rsi
	call	print64
done:
	mov	$msg_done, %rsi
	call	print64
	mov	$EXIT_OK, %al
	out	%al, $EXIT_PORT
7:	hlt
	jmp	7b

fail64:
	mov	$msg_fail, %rsi
	call	print64
	mov	$EXIT_FAIL, %al
	out	%al, $EXIT_PORT
8:	hlt
	jmp	8b

print64:
	lodsb
	test	%al, %al
	jz	9f
	out	%al, $DEBUG_PORT
	mov	$COM1, %dx
	out	%al, %dx
	jmp	print64
9:	ret

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* SEL_CODE32: base 0, 4 GiB, 32-bit */
	.quad	0x00cf92000000ffff	/* SEL_DATA */
	.quad	0x00af9a000000ffff	/* SEL_CODE64: L=1 */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

msg_prot:	.asciz "hwvirt-bm: protected mode\n"
msg_pg32:	.asciz "hwvirt-bm: 32-bit paging, 4 MiB pages\n"
msg_pae:	.asciz "hwvirt-bm: PAE paging, 2 MiB pages\n"
msg_aps:	.ascii "hwvirt-bm: "
msg_aps_n:	.asciz "? APs started\n"
msg_aps_missing: .asciz "hwvirt-bm: FAIL: not every AP checked in\n"
msg_ap:		.ascii "hwvirt-bm: AP "
msg_ap_id:	.asciz "?? up\n"
hexdigits:	.ascii "0123456789abcdef"
	.p2align 2
ap_count:	.long 0
print_lock:	.long 0

/*
 * An AP, woken by SIPI in real mode at ap_entry: say who it is (CPUID 1
 * EBX[31:24], under print_lock), check in, and halt for good.
 */
	.code16
	.org	0x9000 - 0x7c00		/* 4 KiB aligned, loaded (stage 2) */
ap_entry:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
1:	lock btsl $0, print_lock
	jc	1b
	mov	$1, %eax
	cpuid
	shr	$24, %ebx
	mov	%bx, %di
	shr	$4, %di
	and	$0xf, %di
	mov	hexdigits(%di), %al
	mov	%al, msg_ap_id
	mov	%bx, %di
	and	$0xf, %di
	mov	hexdigits(%di), %al
	mov	%al, msg_ap_id + 1
	mov	$msg_ap, %si
2:	lodsb
	test	%al, %al
	jz	3f
	mov	$COM1, %dx
	out	%al, %dx
	jmp	2b
3:	movl	$0, print_lock
	lock incl ap_count
4:	hlt
	jmp	4b
msg_long:	.asciz "hwvirt-bm: long mode\n"
msg_done:	.asciz "hwvirt-bm: done\n"
msg_la57:	.ascii "hwvirt-bm: long mode, 5-level paging\n"
msg_la57_end:
msg_nola57:	.asciz "hwvirt-bm: no LA57 in CPUID: 5-level paging skipped\n"
msg_nolm:	.asciz "hwvirt-bm: FAIL: no long mode\n"
msg_fail:	.asciz "hwvirt-bm: FAIL\n"
