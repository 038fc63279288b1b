/*
 * The few instructions Swift cannot express: the multiboot header and the
 * first instruction the loader jumps to, the interrupt entry stubs that
 * build a uniform frame (and save the SSE state the compiler's code may
 * touch) before calling the Swift dispatcher, the thread switch, the jump
 * to user mode, and the C library memory primitives the Swift runtime
 * calls. Written in plain string instructions so the compiler can never
 * turn them back into calls to themselves.
 */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003          /* page-align modules, give memory map */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .bss
    .align 16
boot_stack_bottom:
    .skip 65536
    .globl boot_stack_top
boot_stack_top:

    .align 16
    .globl gdt_table
gdt_table:  .skip 8 * 8
    .globl idt_table
idt_table:  .skip 256 * 8
    .globl tss_block
tss_block:  .skip 104
    .globl console_ring
console_ring: .skip 8192

    .section .text
    .globl _start
_start:
    cli
    mov $boot_stack_top, %esp
    xor %ebp, %ebp
    /* SSE on before the first Swift instruction: the compiler uses it. */
    mov %cr0, %ecx
    and $~0x0C, %ecx                   /* EM and TS off */
    or $0x02, %ecx                     /* MP on */
    mov %ecx, %cr0
    mov %cr4, %ecx
    or $0x600, %ecx                    /* OSFXSR, OSXMMEXCPT */
    mov %ecx, %cr4
    fninit
    push %ebx                          /* multiboot info pointer */
    push %eax                          /* multiboot magic */
    call kmain
1:  cli
    hlt
    jmp 1b

/* ---- interrupt entry ------------------------------------------------- */
/* Every vector pushes (error code or 0, vector number) and joins the
   common path, which saves the general registers and the 512-byte
   FXSAVE image on the interrupted stack and passes the frame to Swift. */

    .macro ISR_NOERR n
    .globl isr\n
isr\n:
    push $0
    push $\n
    jmp isr_common
    .endm

    .macro ISR_ERR n
    .globl isr\n
isr\n:
    push $\n
    jmp isr_common
    .endm

    ISR_NOERR 0
    ISR_NOERR 1
    ISR_NOERR 2
    ISR_NOERR 3
    ISR_NOERR 4
    ISR_NOERR 5
    ISR_NOERR 6
    ISR_NOERR 7
    ISR_ERR   8
    ISR_NOERR 9
    ISR_ERR   10
    ISR_ERR   11
    ISR_ERR   12
    ISR_ERR   13
    ISR_ERR   14
    ISR_NOERR 15
    ISR_NOERR 16
    ISR_ERR   17
    ISR_NOERR 18
    ISR_NOERR 19
    ISR_NOERR 20
    ISR_ERR   21
    ISR_NOERR 22
    ISR_NOERR 23
    ISR_NOERR 24
    ISR_NOERR 25
    ISR_NOERR 26
    ISR_NOERR 27
    ISR_NOERR 28
    ISR_NOERR 29
    ISR_ERR   30
    ISR_NOERR 31
    .irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    ISR_NOERR \n
    .endr

/* The frame every handler sees: general registers, data selectors, and
   the 512-byte FXSAVE image on the interrupted stack (the kernel's Swift
   code uses SSE registers, which belong to the interrupted thread). */
    .macro ISR_BODY handler
    pusha
    push %ds
    push %es
    push %fs
    push %gs
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %esp, %ebx                     /* the frame */
    sub $512, %esp
    and $-16, %esp
    fxsave (%esp)
    push %ebx
    call \handler
    add $4, %esp
    fxrstor (%esp)
    mov %ebx, %esp
    pop %gs
    pop %fs
    pop %es
    pop %ds
    popa
    add $8, %esp
    iret
    .endm

isr_common:
    ISR_BODY isr_dispatch

/* The system call trap goes straight to its own dispatcher: no vector
   sorting on the path every transaction takes. */
    .globl isr128
isr128:
    push $0
    push $128
    ISR_BODY syscall_entry

    .section .rodata
    .align 4
    .globl isr_stub_table
isr_stub_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,128
    .long isr\n
    .endr

    .section .text
/* ---- thread switch --------------------------------------------------- */
/* switch_context(uint32_t *save_esp, uint32_t new_esp, void *save_fx,
   void *load_fx): saves the callee-saved registers, flags and SSE state of
   the running thread on its stack / in its save area, and resumes the
   other one where it last switched away (or at thread_trampoline). */
    .globl switch_context
switch_context:
    mov 12(%esp), %eax
    fxsave (%eax)
    mov 16(%esp), %eax
    fxrstor (%eax)
    mov 4(%esp), %eax
    mov 8(%esp), %edx
    push %ebp
    push %ebx
    push %esi
    push %edi
    pushf
    mov %esp, (%eax)
    mov %edx, %esp
    popf
    pop %edi
    pop %esi
    pop %ebx
    pop %ebp
    ret

/* A new thread's first switch returns here: enable interrupts (the
   thread's own flags said off while its frame was built) and enter Swift. */
    .globl thread_trampoline
thread_trampoline:
    sti
    call thread_entry
1:  hlt
    jmp 1b

/* enter_user_mode(eip, esp): iret to ring 3 with user data selectors. */
    .globl enter_user_mode
enter_user_mode:
    mov 4(%esp), %ecx
    mov 8(%esp), %edx
    mov $0x23, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    push $0x23
    push %edx
    push $0x202
    push $0x1B
    push %ecx
    iret

/* enter_user_state(edi, esi, ebp, ebx, edx, ecx, eax, eip, eflags, esp, fx):
   iret to ring 3 with every general register as given (a continued,
   migrated thread), after fxrstor of the image at fx when not 0; the
   caller has sanitised eflags and the image's MXCSR. */
    .globl enter_user_state
enter_user_state:
    mov $0x23, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %fs
    mov %ax, %gs
    mov %esp, %ebx
    mov 44(%ebx), %eax
    test %eax, %eax
    jz 1f
    fxrstor (%eax)
1:  push $0x23
    push 40(%ebx)
    push 36(%ebx)
    push $0x1B
    push 32(%ebx)
    mov 4(%ebx), %edi
    mov 8(%ebx), %esi
    mov 12(%ebx), %ebp
    mov 20(%ebx), %edx
    mov 24(%ebx), %ecx
    mov 28(%ebx), %eax
    mov 16(%ebx), %ebx
    iret

