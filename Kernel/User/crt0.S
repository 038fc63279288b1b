/*
 * Where a user program begins. The stack pointer points at Amoeba's
 * initial stack (argc, argv, envp, capv: see Lib/Program.swift); this
 * passes it to the user library's Swift entry and hands its result to the
 * exit call. Also the heap region the user library allocates from.
 */
    .section .text
    .globl _start
_start:
    mov %esp, %eax
    and $-16, %esp
    sub $12, %esp
    push %eax
    call user_start
    mov %eax, %ebx
    mov $1, %eax
    int $0x80
1:  jmp 1b

/*
 * Where a signal catcher returns to: the kernel left the interrupted
 * context 16 bytes above the catcher's arguments; sig return (call 32)
 * resumes the thread from it.
 */
    .globl signal_return
signal_return:
    lea 16(%esp), %ebx
    mov $32, %eax
    int $0x80
2:  jmp 2b

    .section .bss
    .align 16
    .globl user_heap
user_heap:
    .skip 256 * 1024
    .globl user_heap_end
user_heap_end:
