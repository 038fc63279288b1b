/*
 * The C library memory primitives the Swift runtime calls (memcpy,
 * memmove, memset, memcmp, strlen, ceil), shared by the kernel and the
 * user programs. Plain string instructions, so no compiler can turn them
 * back into calls to themselves.
 *
 * Copies and fills move four bytes per iteration and only the last one to
 * three bytes singly: under QEMU's TCG every iteration of a rep string
 * instruction is executed (and costs) as an instruction of its own, so a
 * byte loop made a 100-byte frame copy a hundred of them.
 */
    .section .text
    .globl memcpy
memcpy:
    push %esi
    push %edi
    mov 12(%esp), %edi
    mov 16(%esp), %esi
    mov 20(%esp), %ecx
    mov %edi, %eax
    cld
    mov %ecx, %edx
    shr $2, %ecx
    rep movsl
    mov %edx, %ecx
    and $3, %ecx
    rep movsb
    pop %edi
    pop %esi
    ret

    .globl memmove
memmove:
    push %esi
    push %edi
    mov 12(%esp), %edi
    mov 16(%esp), %esi
    mov 20(%esp), %ecx
    mov %edi, %eax
    mov %ecx, %edx
    cmp %esi, %edi
    jbe 1f
    /* Destination above the source: from the end down, the odd tail bytes
       first, then whole words (each word is read before any write reaches it). */
    lea -1(%esi,%ecx), %esi
    lea -1(%edi,%ecx), %edi
    and $3, %ecx
    std
    rep movsb
    sub $3, %esi
    sub $3, %edi
    mov %edx, %ecx
    shr $2, %ecx
    rep movsl
    cld
    jmp 2f
1:  cld
    shr $2, %ecx
    rep movsl
    mov %edx, %ecx
    and $3, %ecx
    rep movsb
2:  pop %edi
    pop %esi
    ret

    .globl memset
memset:
    push %edi
    mov 8(%esp), %edi
    movzbl 12(%esp), %eax
    mov 16(%esp), %ecx
    mov %edi, %edx
    imul $0x01010101, %eax, %eax
    push %ecx
    shr $2, %ecx
    cld
    rep stosl
    pop %ecx
    and $3, %ecx
    rep stosb
    mov %edx, %eax
    pop %edi
    ret

    .globl memcmp
memcmp:
    push %esi
    push %edi
    mov 12(%esp), %esi
    mov 16(%esp), %edi
    mov 20(%esp), %ecx
    xor %eax, %eax
    test %ecx, %ecx
    jz 2f
    cld
    repe cmpsb
    je 2f
    movzbl -1(%esi), %eax
    movzbl -1(%edi), %edx
    sub %edx, %eax
2:  pop %edi
    pop %esi
    ret

    .globl strlen
strlen:
    mov 4(%esp), %edx
    xor %eax, %eax
1:  cmpb $0, (%edx,%eax)
    je 2f
    inc %eax
    jmp 1b
2:  ret

/* double ceil(double): x87 round with the control word set to round up. */
    .globl ceil
ceil:
    sub $8, %esp
    fnstcw (%esp)
    movw (%esp), %ax
    andw $0xF3FF, %ax
    orw $0x0800, %ax
    movw %ax, 2(%esp)
    fldl 12(%esp)
    fldcw 2(%esp)
    frndint
    fldcw (%esp)
    add $8, %esp
    ret
