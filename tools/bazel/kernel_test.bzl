"""o2c_kernel_test: a test that loads real BPF programs into a kernel.

Declares from one rule:
- `name`: the kernel tier, on this machine's kernel (tags "kernel" and
  "no-sandbox": Bazel's linux-sandbox makes every BPF load fail with EPERM);
- the VM tier, the same binary inside Debian's stock kernels under qemu
  (tools/vmtest), tags "vm" and "no-sandbox": `name + "_vm"` in Debian 12's
  6.1 (bookworm) and `name + "_vm_trixie"` in Debian 13's 6.12 (trixie).
Both are tagged "external": their outcome depends on a kernel Bazel cannot
see, so a result is never served from a cache.
One boot per test target: a boot costs ~2.5 s under TCG, cheap next to the
clarity of one result per target, and Bazel runs two at once.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")

# VM-tier target suffix per guest kernel (tools/vmtest/vmtest.py --kernel).
_VM_SUFFIX = {
    "bookworm": "_vm",
    "trixie": "_vm_trixie",
}

def o2c_kernel_test(name, srcs, deps = [], data = [], tags = [], vm = True,
                    vm_kernels = ["bookworm", "trixie"], vm_tools = [], vm_modules = [],
                    vm_manual = False, vm_manual_kernels = [], host = True,
                    **kwargs):
    """A kernel-tier gtest (O2C_REQUIRE_KERNEL() inside) and its VM twins.

    Args:
      name: the test's name.
      srcs: its sources.
      deps: its dependencies (gtest_main, kernel_test, pipes and
        status_matchers come with it).
      data: runtime files; testdata/ among them is copied into the VM.
      tags: extra tags.
      vm: also declare VM twins.
      vm_kernels: the guest kernels that get a twin, by Debian suite
        ("bookworm", "trixie").
      vm_tools: host binaries the test runs (absolute paths, e.g.
        "/usr/bin/stress-ng"), copied into the guest with their libraries.
      vm_modules: modules of the guest kernel loaded at boot, by name
        (e.g. "nf_tables"), with what they depend on; only guests whose
        cache has a modules tree (bookworm).
      vm_manual: declare the VM twins "manual" (run by name only), for a
        twin that documents a known failure.
      vm_manual_kernels: the guest kernels whose twin is declared "manual"
        (run by name only): a test under TCG costs minutes of CI, so a
        second guest's twin stays in `bazel test //...` only where that
        kernel's answer differs from the first's.
      host: run on this machine's kernel too; False for what only the VM's
        kernel can do (loading a module): the host test is then "manual",
        built for the VM but not run by `bazel test //...`.
      **kwargs: passed to cc_test.
    """
    common = [
        "//testing:gtest_main",
        "//testing:kernel_test",
        "//testing:pipes",
        "//testing:status_matchers",
    ]
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + [d for d in common if d not in deps],
        data = data,
        tags = tags + ["kernel", "no-sandbox", "external"] + ([] if host else ["manual"]),
        **kwargs
    )
    for kernel in (vm_kernels if vm else []):
        if kernel not in _VM_SUFFIX:
            fail("%s: unknown vm_kernels entry %r (one of %s)" % (name, kernel, sorted(_VM_SUFFIX)))
        native.sh_test(
            name = name + _VM_SUFFIX[kernel],
            srcs = ["//tools/vmtest:vm_test.sh"],
            args = ["--kernel", kernel] +
                   [a for tool in vm_tools for a in ["--tool", tool]] +
                   [a for module in vm_modules for a in ["--module", module]] +
                   ["$(rootpath :%s)" % name],
            data = [":" + name, "//tools/vmtest:harness"] + data,
            # "exclusive" guards this machine's kernel, which a guest does
            # not touch: twins of exclusive tests run beside the others.
            tags = [t for t in tags if t != "exclusive"] + ["vm", "no-sandbox", "external"] +
                   (["manual"] if vm_manual or kernel in vm_manual_kernels else []),
            timeout = "long",
        )
