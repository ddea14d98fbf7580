fn main() -> std::process::ExitCode {
    llmos::cli::run()
}
