/*
 * The machine instructions the Swift kernel needs and Swift cannot spell:
 * port I/O, control registers, descriptor-table loads, interrupt flag,
 * time-stamp counter. Each is a one-line inline function the Swift
 * compiler imports through this header (no C file is compiled), plus the
 * declarations of what entry.S provides.
 */
#pragma once
#include <stdint.h>

static inline __attribute__((always_inline)) void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline __attribute__((always_inline)) uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline __attribute__((always_inline)) void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline __attribute__((always_inline)) uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline __attribute__((always_inline)) void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline __attribute__((always_inline)) uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* Memory shared with a device (virtqueues): each access happens, in program
 * order, exactly once, and the fence orders stores before later loads, the
 * one reordering x86 allows and the ring protocol cannot. */
static inline __attribute__((always_inline)) uint16_t shared_load16(const void *p) { return *(const volatile uint16_t *)p; }
static inline __attribute__((always_inline)) uint32_t shared_load32(const void *p) { return *(const volatile uint32_t *)p; }
static inline __attribute__((always_inline)) void shared_store16(void *p, uint16_t v) { *(volatile uint16_t *)p = v; }
static inline __attribute__((always_inline)) void shared_store32(void *p, uint32_t v) { *(volatile uint32_t *)p = v; }
static inline __attribute__((always_inline)) void cpu_memory_fence(void) { __asm__ volatile("mfence" ::: "memory"); }

static inline __attribute__((always_inline)) void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline __attribute__((always_inline)) void cpu_sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline __attribute__((always_inline)) void cpu_hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* Enable interrupts and halt in one step, so a wakeup cannot slip between. */
static inline __attribute__((always_inline)) void cpu_sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline __attribute__((always_inline)) void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }

static inline __attribute__((always_inline)) uint32_t cpu_flags(void) { uint32_t f; __asm__ volatile("pushf; pop %0" : "=r"(f) :: "memory"); return f; }
static inline __attribute__((always_inline)) void cpu_set_flags(uint32_t f) { __asm__ volatile("push %0; popf" :: "r"(f) : "memory", "cc"); }

static inline __attribute__((always_inline)) uint64_t cpu_rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }

static inline __attribute__((always_inline)) uint32_t cpu_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline __attribute__((always_inline)) void cpu_set_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" :: "r"(v) : "memory"); }
static inline __attribute__((always_inline)) uint32_t cpu_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline __attribute__((always_inline)) uint32_t cpu_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline __attribute__((always_inline)) void cpu_set_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" :: "r"(v) : "memory"); }
static inline __attribute__((always_inline)) uint32_t cpu_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline __attribute__((always_inline)) void cpu_set_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline __attribute__((always_inline)) void cpu_invlpg(uint32_t v) { __asm__ volatile("invlpg (%0)" :: "r"(v) : "memory"); }
static inline __attribute__((always_inline)) void cpu_fninit(void) { __asm__ volatile("fninit"); }
static inline __attribute__((always_inline)) void cpu_ldmxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" :: "m"(v)); }

static inline __attribute__((always_inline)) void cpu_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
/* One RDRAND attempt; returns 1 when the CPU delivered a value. */
static inline __attribute__((always_inline)) int cpu_rdrand(uint32_t *out) {
    uint8_t ok; uint32_t v;
    __asm__ volatile(".byte 0x0f, 0xc7, 0xf0; setc %1" : "=a"(v), "=qm"(ok) :: "cc");
    *out = v; return ok;
}

struct descriptor_pointer { uint16_t limit; uint32_t base; } __attribute__((packed));
static inline __attribute__((always_inline)) void cpu_lgdt(uint32_t base, uint16_t limit) {
    struct descriptor_pointer p = { limit, base };
    __asm__ volatile("lgdt %0" :: "m"(p) : "memory");
}
static inline __attribute__((always_inline)) void cpu_lidt(uint32_t base, uint16_t limit) {
    struct descriptor_pointer p = { limit, base };
    __asm__ volatile("lidt %0" :: "m"(p) : "memory");
}
/* Reload every segment register after a new GDT (code through a far return). */
static inline __attribute__((always_inline)) void cpu_reload_segments(void) {
    __asm__ volatile(
        "mov $0x10, %%ax; mov %%ax, %%ds; mov %%ax, %%es; mov %%ax, %%fs;"
        "mov %%ax, %%gs; mov %%ax, %%ss; pushl $0x08; pushl $1f; lret; 1:"
        ::: "eax", "memory");
}
static inline __attribute__((always_inline)) void cpu_ltr(uint16_t sel) { __asm__ volatile("ltr %0" :: "r"(sel)); }

/* Provided by entry.S and the linker script. */
extern uint8_t console_ring[], gdt_table[], idt_table[], tss_block[], kernel_start[], kernel_end[], boot_stack_top[];
extern const uint32_t isr_stub_table[49];
static inline __attribute__((always_inline)) uint8_t *console_ring_bytes(void) { return console_ring; }
static inline __attribute__((always_inline)) uint32_t addr_gdt(void) { return (uint32_t)gdt_table; }
static inline __attribute__((always_inline)) uint32_t addr_idt(void) { return (uint32_t)idt_table; }
static inline __attribute__((always_inline)) uint32_t addr_tss(void) { return (uint32_t)tss_block; }
static inline __attribute__((always_inline)) uint32_t addr_kernel_start(void) { return (uint32_t)kernel_start; }
static inline __attribute__((always_inline)) uint32_t addr_kernel_end(void) { return (uint32_t)kernel_end; }
static inline __attribute__((always_inline)) uint32_t addr_boot_stack_top(void) { return (uint32_t)boot_stack_top; }
static inline __attribute__((always_inline)) uint32_t isr_stub(int i) { return isr_stub_table[i]; }
extern void thread_trampoline(void);
static inline __attribute__((always_inline)) uint32_t addr_thread_trampoline(void) { return (uint32_t)thread_trampoline; }
unsigned int strlen(const char *s);
void switch_context(uint32_t *save_esp, uint32_t new_esp, void *save_fx, void *load_fx);
void enter_user_mode(uint32_t eip, uint32_t esp);
void enter_user_state(uint32_t edi, uint32_t esi, uint32_t ebp, uint32_t ebx, uint32_t edx, uint32_t ecx,
                      uint32_t eax, uint32_t eip, uint32_t eflags, uint32_t esp, uint32_t fx);
/* A zero the compiler cannot see through, for the deliberate-fault scenario. */
static inline __attribute__((always_inline)) uint32_t opaque_zero(void) { volatile uint32_t z = 0; return z; }

/* The user programs carried in the image (generated programs.S). */
extern const uint8_t program_hello_start[], program_hello_end[];
extern const uint8_t program_faulty_start[], program_faulty_end[];
extern const uint8_t program_server_start[], program_server_end[];
extern const uint8_t program_segments_start[], program_segments_end[];
extern const uint8_t program_signals_start[], program_signals_end[];
static inline __attribute__((always_inline)) const uint8_t *program_signals(void) { return program_signals_start; }
static inline __attribute__((always_inline)) uint32_t program_signals_size(void) { return (uint32_t)(program_signals_end - program_signals_start); }
static inline __attribute__((always_inline)) const uint8_t *program_segments(void) { return program_segments_start; }
static inline __attribute__((always_inline)) uint32_t program_segments_size(void) { return (uint32_t)(program_segments_end - program_segments_start); }
extern const uint8_t program_blocker_start[], program_blocker_end[];
extern const uint8_t program_limits_start[], program_limits_end[];
static inline __attribute__((always_inline)) const uint8_t *program_limits(void) { return program_limits_start; }
static inline __attribute__((always_inline)) uint32_t program_limits_size(void) { return (uint32_t)(program_limits_end - program_limits_start); }
extern const uint8_t program_sync_start[], program_sync_end[];
static inline __attribute__((always_inline)) const uint8_t *program_sync(void) { return program_sync_start; }
static inline __attribute__((always_inline)) uint32_t program_sync_size(void) { return (uint32_t)(program_sync_end - program_sync_start); }
extern const uint8_t program_fuzz_start[], program_fuzz_end[];
static inline __attribute__((always_inline)) const uint8_t *program_fuzz(void) { return program_fuzz_start; }
static inline __attribute__((always_inline)) uint32_t program_fuzz_size(void) { return (uint32_t)(program_fuzz_end - program_fuzz_start); }
extern const uint8_t program_cat_start[], program_cat_end[];
static inline __attribute__((always_inline)) const uint8_t *program_cat(void) { return program_cat_start; }
static inline __attribute__((always_inline)) uint32_t program_cat_size(void) { return (uint32_t)(program_cat_end - program_cat_start); }
static inline __attribute__((always_inline)) const uint8_t *program_hello(void) { return program_hello_start; }
static inline __attribute__((always_inline)) uint32_t program_hello_size(void) { return (uint32_t)(program_hello_end - program_hello_start); }
static inline __attribute__((always_inline)) const uint8_t *program_server(void) { return program_server_start; }
static inline __attribute__((always_inline)) uint32_t program_server_size(void) { return (uint32_t)(program_server_end - program_server_start); }
static inline __attribute__((always_inline)) const uint8_t *program_blocker(void) { return program_blocker_start; }
static inline __attribute__((always_inline)) uint32_t program_blocker_size(void) { return (uint32_t)(program_blocker_end - program_blocker_start); }
static inline __attribute__((always_inline)) const uint8_t *program_faulty(void) { return program_faulty_start; }
static inline __attribute__((always_inline)) uint32_t program_faulty_size(void) { return (uint32_t)(program_faulty_end - program_faulty_start); }
