//! The `gomemsim` command: parse the command line, call the library, map the result to an
//! exit code (0 ok, 1 the simulated program died, 2 usage or input error).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
