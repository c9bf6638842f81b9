//! `federa`: see `federa --help`.

fn main() -> std::process::ExitCode {
    federa_server::cli::main()
}
