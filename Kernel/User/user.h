/*
 * The user library's machine interface: the system call instruction, and
 * the instructions the fault-test program needs to misbehave on purpose.
 */
#pragma once
#include <stdint.h>

/* Only through systemCall (Lib/SystemCalls.swift), except in tests of unknown numbers. */
static inline int32_t sys_call(uint32_t n, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e) {
    int32_t r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
    return r;
}
static inline uint64_t user_rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
/* A real divide instruction (Swift would test the divisor and trap first). */
static inline int32_t user_divide(int32_t a, int32_t b) { int32_t q; __asm__ volatile("cltd; idivl %2" : "=a"(q) : "a"(a), "r"(b) : "edx"); return q; }
static inline void user_illegal_instruction(void) { __asm__ volatile("ud2"); }
static inline void user_poke(uint32_t address, uint32_t v) { *(volatile uint32_t *)address = v; }
static inline uint32_t user_peek(uint32_t address) { return *(volatile uint32_t *)address; }
static inline uint32_t user_privileged(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
extern uint8_t user_heap[], user_heap_end[];
static inline uint8_t *user_heap_start(void) { return user_heap; }
static inline uint32_t user_heap_size(void) { return (uint32_t)(user_heap_end - user_heap); }
/* The trampoline a signal catcher returns to (crt0.S). */
void signal_return(void);
static inline uint32_t addr_signal_return(void) { return (uint32_t)signal_return; }
