/*
 * SVM intercepts under TCG: a nested guest exits only on what its VMCB
 * intercepts.
 *
 * Xen nested under QEMU's TCG (tests/xen) found two ways QEMU got this
 * wrong.  A MOV from CR2 was checked against the CR0-read intercept
 * (SVM_EXIT_READ_CR0 is 0 and the decoder took 0 for "no intercept"), so
 * Xen emulated it with a stale CR2; and RDTSCP was checked against the
 * RDTSC intercept instead of its own, so Xen, expecting RDTSC, injected
 * #GP.  And XSAVE, XSAVEOPT and XRSTOR ran with CR0.TS set instead of
 * raising #NM, so under Xen's lazy FPU switching they saved or loaded
 * whichever vCPU's registers were loaded: user processes of dom0 and of
 * the guest saw their registers change.  Each case runs one instruction
 * in a 64-bit guest under a chosen set of intercepts (and CR0.TS) and
 * checks the exit code: the instruction's own intercept, or VMMCALL
 * (always intercepted) right after it.
 *
 * Built on upstream's tests/tcg/x86_64/system boot code and minilib;
 * prints TAP on the debug console.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include "minilib.h"

/* VMCB layout (AMD64 APM vol. 2, appendix B) */
#define VMCB_CR_READ        0x000   /* u16: intercept CRn reads */
#define VMCB_EXCEPTIONS     0x008   /* u32: intercept exception vectors */
#define VMCB_INTERCEPT3     0x00c   /* u32: INTR .. SHUTDOWN */
#define VMCB_INTERCEPT4     0x010   /* u32: VMRUN .. */
#define VMCB_ASID           0x058
#define VMCB_EXITCODE       0x070
#define VMCB_SAVE           0x400
#define SEG_ES              0x00
#define SEG_CS              0x10
#define SEG_SS              0x20
#define SEG_DS              0x30
#define SEG_GDTR            0x60
#define SEG_IDTR            0x80
#define SAVE_EFER           0x0d0
#define SAVE_CR4            0x148
#define SAVE_CR3            0x150
#define SAVE_CR0            0x158
#define SAVE_DR7            0x160
#define SAVE_DR6            0x168
#define SAVE_RFLAGS         0x170
#define SAVE_RIP            0x178
#define SAVE_RSP            0x1d8
#define SAVE_PAT            0x268

#define I3_RDTSC            (1u << 14)
#define I3_SHUTDOWN         (1u << 31)
#define I4_VMRUN            (1u << 0)
#define I4_VMMCALL          (1u << 1)
#define I4_RDTSCP           (1u << 7)

#define EXIT_READ_CR0       0x000
#define EXIT_READ_CR2       0x002
#define EXIT_EXCP_NM        0x047   /* exception 7, #NM */
#define EXIT_RDTSC          0x06e
#define EXIT_VMMCALL        0x081
#define EXIT_RDTSCP         0x087
#define EXIT_NONE           0xdeadull

#define MSR_EFER            0xc0000080
#define MSR_VM_HSAVE_PA     0xc0010117
#define MSR_PAT             0x00000277
#define EFER_SVME           (1u << 12)
#define CR0_TS              (1u << 3)
#define CR4_OSXSAVE         (1u << 18)
#define XCR0_X87_SSE        3
#define NM_VECTOR           7

static uint8_t vmcb[4096] __attribute__((aligned(4096)));
static uint8_t hsave[4096] __attribute__((aligned(4096)));
static uint8_t guest_stack[4096] __attribute__((aligned(16)));
/* all zero: also a valid XRSTOR image (every component in init state) */
static uint8_t xsave_area[4096] __attribute__((aligned(64), used));

/* each guest runs one instruction, then exits with VMMCALL */
static void __attribute__((naked)) guest_mov_cr0(void)
{
    asm("mov %cr0, %rax\n vmmcall");
}

static void __attribute__((naked)) guest_mov_cr2(void)
{
    asm("mov %cr2, %rax\n vmmcall");
}

static void __attribute__((naked)) guest_rdtsc(void)
{
    asm("rdtsc\n vmmcall");
}

static void __attribute__((naked)) guest_rdtscp(void)
{
    asm("rdtscp\n vmmcall");
}

/* the FPU state instructions, x87 and SSE state (EDX:EAX = 3) */
static void __attribute__((naked)) guest_fxsave(void)
{
    asm("lea xsave_area(%rip), %rdi\n fxsave64 (%rdi)\n vmmcall");
}

static void __attribute__((naked)) guest_xsave(void)
{
    asm("lea xsave_area(%rip), %rdi\n mov $3, %eax\n xor %edx, %edx\n"
        "xsave64 (%rdi)\n vmmcall");
}

static void __attribute__((naked)) guest_xsaveopt(void)
{
    asm("lea xsave_area(%rip), %rdi\n mov $3, %eax\n xor %edx, %edx\n"
        "xsaveopt64 (%rdi)\n vmmcall");
}

/* MMX state: EMMS empties the x87 tag word */
static void __attribute__((naked)) guest_emms(void)
{
    asm("emms\n vmmcall");
}

static void __attribute__((naked)) guest_xrstor(void)
{
    asm("lea xsave_area(%rip), %rdi\n mov $3, %eax\n xor %edx, %edx\n"
        "xrstor64 (%rdi)\n vmmcall");
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return lo | (uint64_t)hi << 32;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
    asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val),
                 "d"((uint32_t)(val >> 32)));
}

/* VMRUN clobbers "memory": the compiler reads the VMCB afresh after it */
static void vmcb_put(unsigned off, uint64_t val, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        vmcb[off + i] = val >> (8 * i);
    }
}

static uint64_t vmcb_get64(unsigned off)
{
    uint64_t val = 0;

    for (unsigned i = 0; i < 8; i++) {
        val |= (uint64_t)vmcb[off + i] << (8 * i);
    }
    return val;
}

static void set_seg(unsigned off, uint16_t sel, uint16_t attrib)
{
    vmcb_put(VMCB_SAVE + off, sel, 2);
    vmcb_put(VMCB_SAVE + off + 2, attrib, 2);
    vmcb_put(VMCB_SAVE + off + 4, 0xffffffff, 4);
    vmcb_put(VMCB_SAVE + off + 8, 0, 8);
}

/* @desc as SGDT and SIDT store it: a 16-bit limit, then a 64-bit base */
static void set_table(unsigned off, const uint8_t desc[10])
{
    uint64_t base = 0;

    for (unsigned i = 0; i < 8; i++) {
        base |= (uint64_t)desc[2 + i] << (8 * i);
    }
    vmcb_put(VMCB_SAVE + off + 4, desc[0] | desc[1] << 8, 4);
    vmcb_put(VMCB_SAVE + off + 8, base, 8);
}

/*
 * Run @guest as a guest of the current state, with @cr0_set added to its
 * CR0 and the exceptions in @exceptions intercepted; return the exit code.
 */
static uint64_t run_guest(void (*guest)(void), uint16_t cr_read, uint32_t i3,
                          uint32_t i4, uint32_t exceptions, uint64_t cr0_set)
{
    uint8_t gdtr[10], idtr[10];
    uint64_t cr0, cr3, cr4, vmcb_pa = (uintptr_t)vmcb;
    uint16_t cs, ds;

    for (unsigned i = 0; i < sizeof(vmcb); i++) {
        vmcb[i] = 0;
    }
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("mov %%cr3, %0" : "=r"(cr3));
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %%cs, %0" : "=r"(cs));
    asm volatile("mov %%ds, %0" : "=r"(ds));
    asm volatile("sgdt %0" : "=m"(gdtr));
    asm volatile("sidt %0" : "=m"(idtr));

    vmcb_put(VMCB_CR_READ, cr_read, 2);
    vmcb_put(VMCB_EXCEPTIONS, exceptions, 4);
    vmcb_put(VMCB_INTERCEPT3, i3 | I3_SHUTDOWN, 4);
    vmcb_put(VMCB_INTERCEPT4, i4 | I4_VMRUN | I4_VMMCALL, 4);
    vmcb_put(VMCB_ASID, 1, 4);
    vmcb_put(VMCB_EXITCODE, EXIT_NONE, 8);

    set_seg(SEG_CS, cs, 0x029b);     /* present, code, 64-bit */
    set_seg(SEG_DS, ds, 0x0093);     /* present, data, writable */
    set_seg(SEG_ES, ds, 0x0093);
    set_seg(SEG_SS, ds, 0x0093);
    set_table(SEG_GDTR, gdtr);
    set_table(SEG_IDTR, idtr);
    vmcb_put(VMCB_SAVE + SAVE_EFER, rdmsr(MSR_EFER), 8);
    vmcb_put(VMCB_SAVE + SAVE_CR0, cr0 | cr0_set, 8);
    vmcb_put(VMCB_SAVE + SAVE_CR3, cr3, 8);
    vmcb_put(VMCB_SAVE + SAVE_CR4, cr4, 8);
    vmcb_put(VMCB_SAVE + SAVE_DR6, 0xffff0ff0, 8);
    vmcb_put(VMCB_SAVE + SAVE_DR7, 0x400, 8);
    vmcb_put(VMCB_SAVE + SAVE_RFLAGS, 2, 8);
    vmcb_put(VMCB_SAVE + SAVE_RIP, (uintptr_t)guest, 8);
    vmcb_put(VMCB_SAVE + SAVE_RSP,
             (uintptr_t)guest_stack + sizeof(guest_stack), 8);
    vmcb_put(VMCB_SAVE + SAVE_PAT, rdmsr(MSR_PAT), 8);

    /* the guest leaves its rax, rcx and rdx behind; rax is restored */
    asm volatile("vmrun\n stgi"
                 : "+a"(vmcb_pa)
                 :
                 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
                   "memory", "cc");
    return vmcb_get64(VMCB_EXITCODE);
}

static int failures, cases;

static void report(const char *name, uint64_t got, uint64_t want)
{
    cases++;
    if (got == want) {
        ml_printf("ok %d - %s\n", cases, name);
    } else {
        failures++;
        ml_printf("not ok %d - %s: exit code 0x%lx, expected 0x%lx\n",
                  cases, name, got, want);
    }
}

static void expect(const char *name, void (*guest)(void), uint16_t cr_read,
                   uint32_t i3, uint32_t i4, uint64_t want)
{
    report(name, run_guest(guest, cr_read, i3, i4, 0, 0), want);
}

/* @guest with #NM intercepted, with CR0.TS set when @ts */
static void expect_nm(const char *name, void (*guest)(void), int ts,
                      uint64_t want)
{
    report(name, run_guest(guest, 0, 0, 0, 1u << NM_VECTOR, ts ? CR0_TS : 0),
           want);
}

int main(void)
{
    uint32_t eax, ebx, ecx, edx;

    asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
                 : "a"(0x80000001), "c"(0));
    ml_printf("1..16\n");
    if (!(ecx & (1u << 2)) || !(edx & (1u << 27))) {
        ml_printf("Bail out! the CPU lacks SVM or RDTSCP: run with -cpu max\n");
        return 1;
    }
    asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
                 : "a"(0xd), "c"(1));
    if (!(eax & 1)) {
        ml_printf("Bail out! the CPU lacks XSAVEOPT: run with -cpu max\n");
        return 1;
    }
    /* XSAVE for the host, and so for the guests (they get its CR4) */
    {
        uint64_t cr4;

        asm volatile("mov %%cr4, %0" : "=r"(cr4));
        asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSXSAVE));
        asm volatile("xsetbv" : : "a"(XCR0_X87_SSE), "d"(0), "c"(0));
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (uintptr_t)hsave);

    /* CR reads: each CR's own bit, nothing else */
    expect("mov from cr0 exits with the cr0-read intercept", guest_mov_cr0,
           1 << 0, 0, 0, EXIT_READ_CR0);
    expect("mov from cr2 does not exit on the cr0-read intercept",
           guest_mov_cr2, 1 << 0, 0, 0, EXIT_VMMCALL);
    expect("mov from cr2 exits with the cr2-read intercept", guest_mov_cr2,
           1 << 2, 0, 0, EXIT_READ_CR2);

    /* RDTSC and RDTSCP: separate intercepts */
    expect("rdtsc exits with the rdtsc intercept", guest_rdtsc,
           0, I3_RDTSC, 0, EXIT_RDTSC);
    expect("rdtscp does not exit on the rdtsc intercept", guest_rdtscp,
           0, I3_RDTSC, 0, EXIT_VMMCALL);
    expect("rdtscp exits with the rdtscp intercept", guest_rdtscp,
           0, 0, I4_RDTSCP, EXIT_RDTSCP);

    /* with CR0.TS, saving or loading FPU state raises #NM first */
    expect_nm("fxsave runs with cr0.ts clear", guest_fxsave, 0,
              EXIT_VMMCALL);
    expect_nm("fxsave raises #NM with cr0.ts", guest_fxsave, 1, EXIT_EXCP_NM);
    expect_nm("xsave runs with cr0.ts clear", guest_xsave, 0, EXIT_VMMCALL);
    expect_nm("xsave raises #NM with cr0.ts", guest_xsave, 1, EXIT_EXCP_NM);
    expect_nm("xsaveopt runs with cr0.ts clear", guest_xsaveopt, 0,
              EXIT_VMMCALL);
    expect_nm("xsaveopt raises #NM with cr0.ts", guest_xsaveopt, 1,
              EXIT_EXCP_NM);
    expect_nm("xrstor runs with cr0.ts clear", guest_xrstor, 0, EXIT_VMMCALL);
    expect_nm("xrstor raises #NM with cr0.ts", guest_xrstor, 1,
              EXIT_EXCP_NM);
    expect_nm("emms runs with cr0.ts clear", guest_emms, 0, EXIT_VMMCALL);
    expect_nm("emms raises #NM with cr0.ts", guest_emms, 1, EXIT_EXCP_NM);
    return failures ? 1 : 0;
}
