"""o2c_static_library: one static archive of O2C's objects, and its headers, to install.

For products that do not build with Bazel (tools/install.sh). The archive
bundles every archive of O2C's own libraries that `deps` link; the system
libraries (Debian's abseil, protobuf, libbpf, ...) stay outside it, named
by the pkg-config file instead. The headers come as a tar of every O2C
header `deps` compile with (generated ones included), by include path.
"""

def _o2c_static_library_impl(ctx):
    archives = []
    for dep in ctx.attr.deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            for library in linker_input.libraries:
                archive = library.pic_static_library or library.static_library
                if archive and archive.owner.workspace_name == "" and archive not in archives:
                    archives.append(archive)
    out = ctx.actions.declare_file("lib%s.a" % ctx.attr.name)
    mri = ctx.actions.declare_file(ctx.attr.name + ".mri")
    ctx.actions.write(mri, "\n".join(
        ["create " + out.path] + ["addlib " + a.path for a in archives] + ["save", "end", ""],
    ))
    ctx.actions.run_shell(
        inputs = archives + [mri],
        outputs = [out],
        command = "/usr/bin/ar -M < " + mri.path,
        mnemonic = "BundleArchive",
    )

    headers = depset(transitive = [
        dep[CcInfo].compilation_context.headers
        for dep in ctx.attr.deps
    ]).to_list()
    ours = [h for h in headers if h.owner.workspace_name == "" and h.short_path.startswith("o2c/")]
    tar = ctx.actions.declare_file(ctx.attr.name + "_headers.tar")
    ctx.actions.run_shell(
        inputs = ours,
        outputs = [tar],
        command = "/usr/bin/tar -cf {out} --transform='s|^{gen}/||' {files}".format(
            out = tar.path,
            gen = ctx.bin_dir.path,
            files = " ".join([h.path for h in ours]),
        ),
        mnemonic = "TarHeaders",
    )
    return [DefaultInfo(files = depset([out, tar]))]

o2c_static_library = rule(
    implementation = _o2c_static_library_impl,
    attrs = {"deps": attr.label_list(providers = [CcInfo])},
    doc = "lib<name>.a of O2C's objects that deps link, and <name>_headers.tar.",
)
