#!/usr/bin/env python3
"""Runs one program inside Debian's stock kernel under qemu: the VM tier.

    vmtest.py [--kernel NAME] [--timeout S] [--files DIR] [--tool PATH]...
              [--module NAME]... [--gtest] PROGRAM [ARGS...]

Packs busybox-static, PROGRAM and every --tool with every shared library
they need (from ldd: Debian's Zydis has no static archive, so the VM tier
ships dynamic binaries with their libraries instead of static ones), every
--module with the modules it depends on (modprobe's own resolution over the
cached tree's modules.dep, soft dependencies included), and the optional
--files tree into a newc cpio initramfs; boots the guest kernel NAME
(bookworm: Debian 12's 6.1, the default; trixie: Debian 13's 6.12) that
tools/vmtest/fetch_kernel.sh cached (the uncompressed vmlinux, through PVH);
loads the modules in dependency order; runs PROGRAM as root with tracefs,
debugfs, securityfs, bpffs and a tmpfs /run (for `ip netns`) mounted;
and carries back over the serial console its exit code and, for gtest
programs, its XML report (written to $XML_OUTPUT_FILE, so Bazel and
tools/count_tests.py see the VM's test cases).

Pass/fail never trusts qemu's exit code (0 even after a panic): it comes from
the console markers, and any Oops/BUG/WARNING/panic line in the kernel log
fails the run. Prints boot time and total time. KVM is used where it really
runs a guest (probed once per machine and remembered), else TCG with one host
thread for both guest CPUs: multi-threaded TCG can keep running a stale
translation of kernel text that another CPU just patched (kprobes, ftrace,
BPF trampolines attached while the test runs).
"""
import argparse
import lzma
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

CACHE = os.environ.get("O2C_VMTEST_CACHE", "/var/cache/o2c-vmtest")
# Guest kernels by Debian suite (tools/vmtest/fetch_kernel.sh NAME).
KERNELS = ("bookworm", "trixie")
TCG = "tcg,thread=single"
BUSYBOX = "/bin/busybox"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
KERNEL_BAD = re.compile(
    r"(Oops|BUG: |WARNING: |Kernel panic|general protection fault|"
    r"Call Trace:|kernel BUG at|UBSAN:|KASAN:)")
INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t securityfs securityfs /sys/kernel/security
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs run /run
ip link set lo up
echo "O2C-VMTEST-BOOTED $(cat /proc/uptime)"
for module in $(cat /o2c-modules); do
  insmod "$module" || { echo "O2C-VMTEST-MODULE-FAILED $module"; poweroff -f; }
done
cd /o2c
. /o2c-env
/o2c-bin/program "$@" </dev/null
rc=$?
echo "O2C-VMTEST-EXIT $rc"
if [ -s /tmp/o2c-test.xml ]; then
  echo O2C-VMTEST-XML-BEGIN
  cat /tmp/o2c-test.xml
  echo O2C-VMTEST-XML-END
fi
dmesg | grep -E 'Oops|BUG: |WARNING: |Kernel panic|general protection|kernel BUG' && echo O2C-VMTEST-DMESG-BAD
poweroff -f
"""


def fail(message, code=1):
    print("vmtest: " + message, file=sys.stderr)
    sys.exit(code)


def skip(reason):
    """A skip is a failure under CI=true (nothing was proven)."""
    print("SKIPPED: " + reason)
    sys.exit(1 if os.environ.get("CI") == "true" else 0)


def shared_libraries(program):
    """Absolute paths of the libraries `program` loads, and its interpreter."""
    out = subprocess.run(["ldd", program], capture_output=True, text=True)
    if "not a dynamic executable" in out.stdout + out.stderr:
        return []
    libs = []
    for line in out.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
        elif "not found" in line:
            fail(f"{program}: {line.strip()}")
    return libs


def copy_into(root, path, dest=None):
    """Copies the host file `path` to the same path (or `dest`) under root."""
    dest = os.path.join(root, (dest or path).lstrip("/"))
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy(os.path.realpath(path), dest)


def sbin_tool(name):
    """The path of an administrator's tool (depmod, modprobe): a test's PATH
    may lack /usr/sbin."""
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if path is None:
        fail(f"{name} is not installed (Debian's kmod)")
    return path


def module_tree(kernel_dir, version):
    """A modprobe root (-d) for the cached kernel's modules, with modules.dep.

    The cached tree (kernel_dir/modules, fetch_kernel.sh) is the image's
    /lib/modules/VERSION; depmod indexes it once if it has no modules.dep.
    """
    tree = os.path.join(kernel_dir, "modules")
    if not os.path.isdir(tree):
        fail(f"{kernel_dir} has no modules tree: only the bookworm kernel ships one "
             f"(tools/vmtest/fetch_kernel.sh)")
    base = tempfile.mkdtemp(prefix="o2c-vmtest-modules-")
    os.makedirs(os.path.join(base, "lib/modules"))
    os.symlink(os.path.realpath(tree), os.path.join(base, "lib/modules", version))
    if not os.path.exists(os.path.join(tree, "modules.dep")):
        subprocess.run([sbin_tool("depmod"), "-b", base, version], check=True)
    return base


def module_load_order(names, kernel_dir, version):
    """Module files to insmod, dependencies first, each once, for `names`."""
    base = module_tree(kernel_dir, version)
    order = []
    try:
        for name in names:
            out = subprocess.run([sbin_tool("modprobe"), "-d", base, "-S", version, "--show-depends", name],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                fail(f"--module {name}: {out.stderr.strip() or 'not in the modules tree'}")
            for line in out.stdout.splitlines():
                # "insmod PATH [PARAMS]"; "builtin NAME" needs nothing.
                words = line.split()
                if words and words[0] == "insmod":
                    path = os.path.realpath(words[1])
                    if path not in order:
                        order.append(path)
    finally:
        shutil.rmtree(base)
    return order


def copy_module(root, path, version):
    """Copies a module, decompressed (busybox insmod reads plain ELF), into
    the image's /lib/modules/VERSION; returns its path in the image."""
    name, suffix = os.path.splitext(os.path.basename(path))
    if suffix == ".ko":
        name = os.path.basename(path)
    dest = os.path.join("/lib/modules", version, name)
    os.makedirs(os.path.dirname(root + dest), exist_ok=True)
    if suffix == ".xz":
        with lzma.open(path) as src, open(root + dest, "wb") as out:
            shutil.copyfileobj(src, out)
    elif suffix == ".zst":
        subprocess.run(["zstd", "-q", "-d", "-f", path, "-o", root + dest], check=True)
    else:
        shutil.copy(path, root + dest)
    return dest


def build_initramfs(program, args, files, env, workdir, tools=(), modules=(), version=None):
    root = os.path.join(workdir, "root")
    for d in ("bin", "proc", "sys", "dev", "tmp", "run", "o2c", "o2c-bin", "sys/fs/bpf"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    # `ip netns` keeps its namespaces under /var/run/netns.
    os.makedirs(os.path.join(root, "var"), exist_ok=True)
    os.symlink("../run", os.path.join(root, "var/run"))
    shutil.copy(BUSYBOX, os.path.join(root, "bin/busybox"))
    copy_into(root, program, "/o2c-bin/program")
    # Tools the test runs (stress-ng, ...) keep their host paths.
    for binary in (program,) + tuple(tools):
        if binary != program:
            copy_into(root, binary)
        for lib in shared_libraries(binary):
            copy_into(root, lib)
    if tools:
        # Protocol and service names, for tools that take them (nft, ip).
        for name in ("/etc/protocols", "/etc/services"):
            if os.path.exists(name):
                copy_into(root, name)
    with open(os.path.join(root, "o2c-modules"), "w") as f:
        for path in modules:
            f.write(copy_module(root, path, version) + "\n")
    if files:
        shutil.copytree(files, os.path.join(root, "o2c"), symlinks=False,
                        dirs_exist_ok=True)
    with open(os.path.join(root, "o2c-env"), "w") as f:
        for k, v in env.items():
            f.write(f"export {k}='{v}'\n")
    init = INIT.replace('"$@"', " ".join("'" + a.replace("'", "'\\''") + "'" for a in args))
    with open(os.path.join(root, "init"), "w") as f:
        f.write(init)
    os.chmod(os.path.join(root, "init"), 0o755)
    cpio = os.path.join(workdir, "initramfs.cpio")
    subprocess.run(f"cd {root} && find . | cpio -o -H newc --quiet > {cpio}",
                   shell=True, check=True)
    return cpio


def qemu_command(kernel, initrd, accel, smp=2):
    append = "console=ttyS0 loglevel=4 panic=-1 rdinit=/init"
    if accel != "kvm":
        # Emulated, the verifier on a 20,000-node tree holds a CPU for longer
        # than the default 20 s soft-lockup limit; the most the kernel allows
        # (2 x 60 s) still reports a real hang.
        append += " watchdog_thresh=60"
    cmd = ["qemu-system-x86_64", "-accel", accel, "-smp", str(smp), "-m", "1G",
           "-kernel", kernel, "-initrd", initrd,
           "-append", append,
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-no-reboot", "-nodefaults"]
    cmd += ["-cpu", "host" if accel == "kvm" else "max"]
    return cmd


def run_qemu(cmd, timeout, echo):
    """Runs qemu, returning (console lines, boot seconds or None, timed out)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    lines, boot, buf = [], None, b""
    timed_out = False
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            proc.kill()
            break
        ready, _, _ = select.select([proc.stdout], [], [], min(left, 1.0))
        if not ready:
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *complete, buf = buf.split(b"\n")
        for raw in complete:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            lines.append(line)
            if boot is None and line.startswith("O2C-VMTEST-BOOTED"):
                boot = time.monotonic() - start
            if echo:
                print(line, flush=True)
    proc.wait()
    if buf:
        lines.append(buf.decode("utf-8", "replace"))
    return lines, boot, timed_out


def kvm_works(kernel, initrd):
    """Whether this machine's /dev/kvm really runs a guest (remembered)."""
    if os.environ.get("O2C_VMTEST_ACCEL") in ("kvm", "tcg"):
        return os.environ["O2C_VMTEST_ACCEL"] == "kvm"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    memo = os.path.join(CACHE, "kvm-works")
    if os.path.exists(memo):
        return open(memo).read().strip() == "yes"
    _, boot, _ = run_qemu(qemu_command(kernel, initrd, "kvm"), 30, echo=False)
    works = boot is not None
    try:
        with open(memo, "w") as f:
            f.write("yes\n" if works else "no\n")
    except OSError:
        pass
    return works


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", choices=KERNELS, default="bookworm",
                        help="the guest kernel, by Debian suite")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--files", help="a tree to put at the program's cwd (/o2c)")
    parser.add_argument("--tool", action="append", default=[],
                        help="a host binary the program runs (same path in the guest, with "
                             "its shared libraries); repeatable")
    parser.add_argument("--module", action="append", default=[],
                        help="a module of the guest kernel to load at boot, with its "
                             "dependencies (from the cached modules tree); repeatable")
    parser.add_argument("--quiet", action="store_true", help="do not echo the console")
    parser.add_argument("--gtest", action="store_true",
                        help="PROGRAM is a gtest: bring its XML report back to "
                             "$XML_OUTPUT_FILE")
    parser.add_argument("--accel", help="qemu's -accel instead of the default (KVM where it "
                        "works, else " + TCG + "), e.g. tcg,thread=multi to compare")
    parser.add_argument("--smp", type=int, default=2, help="guest CPUs")
    parser.add_argument("program")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()

    kernel_dir = os.path.join(CACHE, "current-" + opts.kernel)
    kernel = os.path.join(kernel_dir, "vmlinux")
    version_file = os.path.join(kernel_dir, "VERSION")
    if not os.path.exists(kernel):
        skip(f"no {opts.kernel} kernel at {kernel}: run tools/setup.sh "
             f"(tools/vmtest/fetch_kernel.sh {opts.kernel})")
    if shutil.which("qemu-system-x86_64") is None:
        skip("qemu-system-x86_64 is not installed: run tools/setup.sh")
    version = open(version_file).read().strip()

    start = time.monotonic()
    env = {"CI": os.environ.get("CI", ""), "O2C_VM": "1",
           # /usr first: busybox's applets (ping, ip) live in /bin.
           "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
    modules = module_load_order(opts.module, kernel_dir, version) if opts.module else []
    args = list(opts.args)
    if opts.gtest:
        args.append("--gtest_output=xml:/tmp/o2c-test.xml")
    with tempfile.TemporaryDirectory(prefix="o2c-vmtest-") as workdir:
        initrd = build_initramfs(os.path.realpath(opts.program), args, opts.files, env,
                                 workdir, opts.tool, modules, version)
        accel = opts.accel or ("kvm" if kvm_works(kernel, initrd) else TCG)
        size_mb = os.path.getsize(initrd) / 1e6
        loaded = f", modules {' '.join(os.path.basename(p) for p in modules)}" if modules else ""
        print(f"vmtest: Debian {opts.kernel} {version} under qemu/{accel}, initramfs {size_mb:.1f} MB{loaded}, "
              f"running {os.path.basename(opts.program)} {' '.join(args)}", flush=True)
        lines, boot, timed_out = run_qemu(qemu_command(kernel, initrd, accel, opts.smp),
                                          opts.timeout, echo=not opts.quiet)
    total = time.monotonic() - start

    exit_code, xml, in_xml, bad = None, [], False, []
    for line in lines:
        # A colour left open by the program (gtest ends its "YOU HAVE n
        # DISABLED TESTS" with a reset on the next line) prefixes our markers.
        line = ANSI_ESCAPE.sub("", line)
        if line.startswith("O2C-VMTEST-XML-BEGIN"):
            in_xml = True
        elif line.startswith("O2C-VMTEST-XML-END"):
            in_xml = False
        elif in_xml:
            xml.append(line)
        elif line.startswith("O2C-VMTEST-MODULE-FAILED "):
            fail(f"the guest could not load {line.split()[1]}")
        elif line.startswith("O2C-VMTEST-EXIT "):
            exit_code = int(line.split()[1])
        elif KERNEL_BAD.search(line) or line.startswith("O2C-VMTEST-DMESG-BAD"):
            bad.append(line)
    if xml and os.environ.get("XML_OUTPUT_FILE"):
        with open(os.environ["XML_OUTPUT_FILE"], "w") as f:
            f.write("\n".join(xml) + "\n")
    boot_text = f"{boot:.1f} s" if boot is not None else "never"
    print(f"vmtest: boot {boot_text}, total {total:.1f} s, exit "
          f"{'none' if exit_code is None else exit_code}", flush=True)
    if timed_out:
        fail(f"timed out after {opts.timeout:.0f} s")
    if boot is None:
        fail("the guest never reached /init")
    if bad:
        fail("kernel log reports a problem:\n  " + "\n  ".join(bad[:20]))
    if exit_code is None:
        fail("the program's exit code never came back (guest crash?)")
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
