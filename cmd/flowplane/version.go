package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/flowplane/flowplane/services/api"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and commit of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := api.ReadBuildInfo(version)
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "flowplane %s (commit %s, %s)\n", b.Version, b.Commit, b.GoVersion)
			return err
		},
	}
}
