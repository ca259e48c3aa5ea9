// Command windrose is the LLM routing gateway: serve, demo, validate,
// emulate, version.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `windrose — an OpenAI-compatible gateway for Mistral models on many clouds

Usage:
  windrose serve --config FILE           run the gateway
  windrose demo [--listen ADDR]          emulators + gateway on loopback, no credentials needed
  windrose validate --config FILE        check a config; prints every problem
  windrose emulate --provider NAME --listen ADDR [fault flags]
                                         run one provider emulator
  windrose version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stdout, stderr)
	case "demo":
		return demo(rest, stdout, stderr)
	case "validate":
		return validate(rest, stdout, stderr)
	case "emulate":
		return emulate(rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "windrose %s\n", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "windrose: unknown command %q\n\n%s", cmd, usage)
	return 2
}
