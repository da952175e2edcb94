package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/cli"
)

// clientFlags are the flags of every client verb.
type clientFlags struct {
	addr, token, output   string
	project, service, app string
	stdout                io.Writer
}

// verb builds one `flowplane <noun> <verb>` command; run gets a ready client.
func verb(use, short string, args cobra.PositionalArgs, scope string, extra func(*cobra.Command),
	run func(ctx context.Context, c *openapi.ClientWithResponses, f *clientFlags, args []string) error) *cobra.Command {
	f := &clientFlags{}
	cmd := &cobra.Command{Use: use, Short: short, Args: args, RunE: func(cmd *cobra.Command, args []string) error {
		f.stdout = cmd.OutOrStdout()
		c, err := openapi.NewClientWithResponses(strings.TrimRight(f.addr, "/"), openapi.WithRequestEditorFn(
			func(_ context.Context, req *http.Request) error {
				if f.token != "" {
					req.Header.Set("Authorization", "Bearer "+f.token)
				}
				return nil
			}))
		if err != nil {
			return err
		}
		return run(cmd.Context(), c, f, args)
	}}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "http://127.0.0.1:8080", "Flowplane API address")
	fl.StringVar(&f.token, "token", "", "API token (see `flowplane login` and `flowplane token create`)")
	fl.StringVarP(&f.output, "output", "o", "table", "output: table or json")
	if strings.Contains(scope, "p") {
		fl.StringVarP(&f.project, "project", "p", "", "project name")
		_ = cmd.MarkFlagRequired("project")
	}
	if strings.Contains(scope, "s") {
		fl.StringVarP(&f.service, "service", "s", "", "service name")
		_ = cmd.MarkFlagRequired("service")
	}
	if strings.Contains(scope, "a") {
		fl.StringVarP(&f.app, "app", "a", "", "application id")
		_ = cmd.MarkFlagRequired("app")
	}
	if extra != nil {
		extra(cmd)
	}
	withEnvHelp(fl)
	return cmd
}

func noun(use, short string, verbs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs}
	cmd.AddCommand(verbs...)
	return cmd
}

func out(f *clientFlags, r cli.Response, err error, columns ...string) error {
	return cli.Render(f.stdout, r, err, f.output, columns...)
}

// readSQL reads a file argument, "-" meaning stdin.
func readSQL(path string) (string, error) {
	if path == "-" {
		b, err := io.ReadAll(os.Stdin)
		return string(b), err
	}
	b, err := os.ReadFile(path)
	return string(b), err
}

func clientCommands() []*cobra.Command {
	return []*cobra.Command{loginCommand(), projectCommand(), serviceCommand(), appCommand(), deployCommand(), tokenCommand()}
}
