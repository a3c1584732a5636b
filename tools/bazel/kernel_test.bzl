"""o2c_kernel_test: a test that loads real BPF programs into a kernel.

Declares `name` as a cc_test of the kernel tier (tags "kernel" and
"no-sandbox": Bazel's linux-sandbox makes every BPF load fail with EPERM).
The VM tier (tools/vmtest) runs the same sources inside Debian's stock kernel.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")

def o2c_kernel_test(name, srcs, deps = [], data = [], tags = [], **kwargs):
    """A kernel-tier gtest; O2C_REQUIRE_KERNEL() (testing/kernel_test.h) inside.

    Args:
      name: the test's name.
      srcs: its sources.
      deps: its dependencies (gtest_main, kernel_test and status_matchers come
        with it).
      data: runtime files.
      tags: extra tags.
      **kwargs: passed to cc_test.
    """
    common = [
        "//testing:gtest_main",
        "//testing:kernel_test",
        "//testing:status_matchers",
    ]
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + [d for d in common if d not in deps],
        data = data,
        tags = tags + ["kernel", "no-sandbox"],
        **kwargs
    )
