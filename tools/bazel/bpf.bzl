"""bpf_skeleton: a CO-RE BPF program (*.bpf.c) -> BPF object -> libbpf skeleton header.

clang compiles the program with -target bpf against vmlinux.h (generated from
the build machine's BTF, see //o2c/bpf:vmlinux_h); bpftool embeds the object in
a skeleton header, so the binary carries its BPF code and needs no file at run
time. -mcpu=v3: atomics with fetch and cmpxchg (kernels >= 5.12; both
of ours). Absolute tool paths: --incompatible_strict_action_env drops /usr/sbin.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")
load("//tools/bazel:source_root.bzl", "source_root")

CLANG = "/usr/bin/clang"
BPFTOOL = "/usr/sbin/bpftool"

def bpf_skeleton(name, src, hdrs = [], visibility = None):
    """Builds `<stem>.bpf.o` and a cc_library `name` exporting `<stem>.skel.h`.

    Args:
      name: `<stem>_skel`, the program's stem and the suffix of every
        skeleton target; the skeleton struct is `<stem>_bpf`.
      src: the .bpf.c file.
      hdrs: headers the program includes (shared BPF/C++ structs, BPF libs).
      visibility: the cc_library's visibility.
    """
    if not name.endswith("_skel"):
        fail("bpf_skeleton: name it <stem>_skel, not %s" % name)
    stem = name[:-len("_skel")]
    root = source_root()
    obj = stem + ".bpf.o"
    skel = stem + ".skel.h"
    native.genrule(
        name = name + "_obj",
        srcs = [src] + hdrs + ["//o2c/bpf:vmlinux_h", "@libbpf//:bpf_headers"],
        outs = [obj],
        cmd = (CLANG + " -O2 -g -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 " +
               "-I$(GENDIR)/{root}/o2c/bpf -I{root} -I$(GENDIR)/{root} ".format(root = root) +
               "-c $(location %s) -o $@" % src),
    )
    native.genrule(
        name = name + "_skel",
        srcs = [obj],
        outs = [skel],
        cmd = BPFTOOL + " gen skeleton $< name %s_bpf > $@" % stem,
    )
    cc_library(
        name = name,
        hdrs = [skel],
        deps = ["@libbpf"],
        visibility = visibility,
    )
