"""source_root: where O2C's sources are, relative to the execution root."""

def source_root():
    """"." when O2C is the main workspace; "external/<name>" when a product
    builds it as a repository of its own workspace (examples/consumer/).

    For genrule commands that pass include paths to clang or protoc: call it
    from a macro, while a BUILD file is being loaded.
    """
    repository = native.repository_name().lstrip("@")
    return "external/" + repository if repository else "."
