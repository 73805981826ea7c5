/*
 * insn_count: a QEMU TCG plugin that counts executed guest instructions and
 * reports the running count at "marks" set by the guest.
 *
 * Debian's QEMU 7.2 exports the plugin API but ships no <qemu-plugin.h>, so the
 * few types and functions used here are declared below, as QEMU 7.2 defines
 * them (plugin API version 1).
 *
 * Method
 * ------
 * - Every translated guest instruction gets an inline "add 1" on a 64-bit
 *   counter (exact per-instruction count, no helper call).
 * - Every guest memory *read* is reported to a callback; a read whose address
 *   lies in the mark window [mark_base, mark_base + 4 * marks) is a mark:
 *   the guest executes `ldr rX, [mark_base + 4 * id]` and the plugin records
 *   "mark <id> <count>". The window is an address range the guest never uses
 *   for anything else, so there are no false marks.
 * - The number of instructions executed between two marks is the difference
 *   of their counts; the constant cost of the mark itself is measured by two
 *   back-to-back marks and subtracted by the analysis script.
 *
 * Arguments (-plugin ./libinsn_count.so,arg=value,...):
 *   mark_base=0x...  start of the mark window (default 0x203f0000)
 *   marks=N          number of mark ids (default 1024)
 *   out=PATH         write results to PATH (default: qemu_plugin_outs, which
 *                    needs `-d plugin`, optionally `-D file`)
 *   profile=ID       also count executions per instruction address between
 *                    mark ID and the next mark; printed at exit as
 *                    "pc 0x<address> <count>" (for finding hot spots; slower)
 * At exit it prints "total <count>".
 *
 * Note: with QEMU 7.2, registering the memory callback for reads only
 * (QEMU_PLUGIN_MEM_R) reported stores, not loads, on this Arm target; the
 * plugin therefore registers for all accesses and drops stores itself.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of QEMU 7.2's qemu-plugin.h that this plugin uses ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
typedef struct qemu_info_t qemu_info_t; /* only used through a pointer */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS,
    QEMU_PLUGIN_CB_R_REGS,
    QEMU_PLUGIN_CB_RW_REGS,
};
enum qemu_plugin_mem_rw {
    QEMU_PLUGIN_MEM_R = 1,
    QEMU_PLUGIN_MEM_W,
    QEMU_PLUGIN_MEM_RW,
};
enum qemu_plugin_op {
    QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
                                               struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index,
                                          qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
                                            void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
                                                 size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags,
                                            void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
                                      qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw,
                                      void *userdata);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
                                    qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
/* ---- end of the declarations ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/* The benchmark guest has a single vCPU: one counter suffices. */
static uint64_t insn_count;
static uint64_t mark_base = 0x203f0000u;
static uint64_t mark_count = 1024;
static FILE *out_file;

/* Optional per-address profile between mark `profile_id` and the next mark. */
#define PROFILE_SLOTS 65536u /* power of two; open addressing */
static bool profile_enabled;
static uint64_t profile_id;
static bool profiling;
static uint64_t profile_pc[PROFILE_SLOTS];
static uint64_t profile_count[PROFILE_SLOTS];

static void on_insn_exec(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    if (!profiling) {
        return;
    }
    uint64_t pc = (uint64_t)(uintptr_t)userdata;
    uint32_t h = (uint32_t)(pc * 0x9e3779b1u) & (PROFILE_SLOTS - 1);
    for (uint32_t n = 0; n < PROFILE_SLOTS; n++) {
        uint32_t i = (h + n) & (PROFILE_SLOTS - 1);
        if (profile_count[i] == 0 || profile_pc[i] == pc) {
            profile_pc[i] = pc;
            profile_count[i]++;
            return;
        }
    }
}

static void emit(const char *line)
{
    if (out_file) {
        fputs(line, out_file);
        fflush(out_file);
    } else {
        qemu_plugin_outs(line);
    }
}

static void on_mem(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                   uint64_t vaddr, void *userdata)
{
    (void)vcpu_index;
    (void)userdata;
    if (qemu_plugin_mem_is_store(info)) {
        return;
    }
    if (vaddr < mark_base || vaddr >= mark_base + 4 * mark_count) {
        return;
    }
    uint64_t id = (vaddr - mark_base) / 4;
    char line[64];
    snprintf(line, sizeof line, "mark %" PRIu64 " %" PRIu64 "\n", id,
             insn_count);
    emit(line);
    if (profile_enabled) {
        profiling = (id == profile_id);
    }
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(
            insn, QEMU_PLUGIN_INLINE_ADD_U64, &insn_count, 1);
        qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
                                         QEMU_PLUGIN_MEM_RW, NULL);
        if (profile_enabled) {
            uint64_t pc = qemu_plugin_insn_vaddr(insn);
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn_exec,
                                                   QEMU_PLUGIN_CB_NO_REGS,
                                                   (void *)(uintptr_t)pc);
        }
    }
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    char line[64];
    if (profile_enabled) {
        for (uint32_t i = 0; i < PROFILE_SLOTS; i++) {
            if (profile_count[i] != 0) {
                snprintf(line, sizeof line, "pc 0x%" PRIx64 " %" PRIu64 "\n",
                         profile_pc[i], profile_count[i]);
                emit(line);
            }
        }
    }
    snprintf(line, sizeof line, "total %" PRIu64 "\n", insn_count);
    emit(line);
    if (out_file) {
        fclose(out_file);
        out_file = NULL;
    }
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x = strtoull(s, &end, 0);
    if (*s == '\0' || *end != '\0') {
        return false;
    }
    *v = x;
    return true;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
                                           const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        if (!eq) {
            fprintf(stderr, "insn_count: bad argument '%s'\n", a);
            return -1;
        }
        size_t klen = (size_t)(eq - a);
        const char *val = eq + 1;
        if (klen == 9 && strncmp(a, "mark_base", 9) == 0) {
            if (!parse_u64(val, &mark_base)) {
                fprintf(stderr, "insn_count: bad mark_base '%s'\n", val);
                return -1;
            }
        } else if (klen == 5 && strncmp(a, "marks", 5) == 0) {
            if (!parse_u64(val, &mark_count) || mark_count == 0) {
                fprintf(stderr, "insn_count: bad marks '%s'\n", val);
                return -1;
            }
        } else if (klen == 7 && strncmp(a, "profile", 7) == 0) {
            if (!parse_u64(val, &profile_id)) {
                fprintf(stderr, "insn_count: bad profile '%s'\n", val);
                return -1;
            }
            profile_enabled = true;
        } else if (klen == 3 && strncmp(a, "out", 3) == 0) {
            out_file = fopen(val, "w");
            if (!out_file) {
                fprintf(stderr, "insn_count: cannot open '%s'\n", val);
                return -1;
            }
        } else {
            fprintf(stderr, "insn_count: unknown argument '%s'\n", a);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
