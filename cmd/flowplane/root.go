package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// logConfig is shared by every long-running role.
type logConfig struct {
	format string
	level  string
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "flowplane",
		Short:         "Flowplane: self-hosted, multi-tenant managed stream processing",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyEnv(cmd.Flags())
		},
	}
	root.AddCommand(newServerCommand(), newWorkerCommand(), newDevCommand(), newVersionCommand(), newBootstrapCommand())
	root.AddCommand(clientCommands()...)
	return root
}

// envName is the FLOWPLANE_* variable that stands in for a flag.
func envName(flag string) string {
	return "FLOWPLANE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applyEnv fills every flag not given on the command line from its FLOWPLANE_* variable, and an
// empty --database-url from DATABASE_URL.
func applyEnv(flags *pflag.FlagSet) error {
	var err error
	flags.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if setErr := flags.Set(f.Name, v); setErr != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, setErr)
			}
		}
	})
	if err != nil {
		return err
	}
	// DATABASE_URL, the usual PostgreSQL variable, stands in for an empty --database-url.
	if f := flags.Lookup("database-url"); f != nil && f.Value.String() == "" {
		if v := os.Getenv("DATABASE_URL"); v != "" {
			return flags.Set(f.Name, v)
		}
	}
	return nil
}

// withEnvHelp appends each flag's environment variable to its usage text.
func withEnvHelp(flags *pflag.FlagSet) {
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			f.Usage += " [" + envName(f.Name) + "]"
		}
	})
}

func addLogFlags(flags *pflag.FlagSet, c *logConfig, defaultFormat string) {
	flags.StringVar(&c.format, "log-format", defaultFormat, "log format: text or json")
	flags.StringVar(&c.level, "log-level", "info", "log level: debug, info, warn or error")
}

func (c logConfig) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", c.format)
	}
}
