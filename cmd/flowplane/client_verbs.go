package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/cli"
)

type client = openapi.ClientWithResponses

var (
	projectCols    = []string{"name", "id", "description", "created_at"}
	serviceCols    = []string{"name", "plan", "slots", "state", "id"}
	appCols        = []string{"id", "name", "description", "created_at"}
	versionCols    = []string{"id", "number", "created_at", "created_by"}
	deploymentCols = []string{"id", "status", "version_number", "parallelism", "desired_action", "created_at"}
	tokenCols      = []string{"id", "kind", "description", "project", "role", "expires_at", "revoked_at"}
)

func loginCommand() *cobra.Command {
	var email, password string
	return verb("login", "Log in with email and password; prints a token for FLOWPLANE_TOKEN", cobra.NoArgs, "", func(c *cobra.Command) {
		c.Flags().StringVar(&email, "email", "", "email")
		c.Flags().StringVar(&password, "password", "", "password (also read from FLOWPLANE_PASSWORD)")
	}, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
		if password == "" {
			password = os.Getenv("FLOWPLANE_PASSWORD")
		}
		r, err := c.LoginWithResponse(ctx, openapi.Credentials{Email: email, Password: &password})
		if err := cli.Check(r, err); err != nil || f.output == "json" {
			return out(f, r, err)
		}
		_, err = fmt.Fprintf(f.stdout, "export FLOWPLANE_TOKEN=%s\n# expires %s\n", r.JSON200.Token, r.JSON200.ExpiresAt)
		return err
	})
}

func projectCommand() *cobra.Command {
	var desc string
	return noun("project", "Projects (tenants)",
		verb("list", "List projects", cobra.NoArgs, "", nil, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			r, err := c.ListProjectsWithResponse(ctx, &openapi.ListProjectsParams{})
			return out(f, r, err, projectCols...)
		}),
		verb("create NAME", "Create a project", cobra.ExactArgs(1), "", func(c *cobra.Command) {
			c.Flags().StringVar(&desc, "description", "", "description")
		}, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.CreateProjectWithResponse(ctx, &openapi.CreateProjectParams{}, openapi.ProjectCreate{Name: a[0], Description: &desc})
			return out(f, r, err, projectCols...)
		}),
		verb("get NAME", "Show a project", cobra.ExactArgs(1), "", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.GetProjectWithResponse(ctx, a[0])
			return out(f, r, err, projectCols...)
		}),
		verb("delete NAME", "Delete an empty project", cobra.ExactArgs(1), "", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.DeleteProjectWithResponse(ctx, a[0])
			return out(f, r, err)
		}),
	)
}

func serviceCommand() *cobra.Command {
	var plan string
	var force bool
	return noun("service", "Services (clusters with a plan of task slots)",
		verb("list", "List the project's services", cobra.NoArgs, "p", nil, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			r, err := c.ListServicesWithResponse(ctx, f.project, &openapi.ListServicesParams{})
			return out(f, r, err, serviceCols...)
		}),
		verb("create NAME", "Create a service", cobra.ExactArgs(1), "p", func(c *cobra.Command) {
			c.Flags().StringVar(&plan, "plan", "hobbyist", "hobbyist, startup, business or premium")
		}, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.CreateServiceWithResponse(ctx, f.project, &openapi.CreateServiceParams{}, openapi.ServiceCreate{Name: a[0], Plan: openapi.ServiceCreatePlan(plan)})
			return out(f, r, err, serviceCols...)
		}),
		verb("get NAME", "Show a service", cobra.ExactArgs(1), "p", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.GetServiceWithResponse(ctx, f.project, a[0])
			return out(f, r, err, serviceCols...)
		}),
		verb("overview NAME", "Slots and jobs of a service", cobra.ExactArgs(1), "p", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.GetServiceOverviewWithResponse(ctx, f.project, a[0])
			return out(f, r, err, "slots_total", "slots_available", "task_managers", "jobs_by_state")
		}),
		verb("delete NAME", "Delete a service", cobra.ExactArgs(1), "p", func(c *cobra.Command) {
			c.Flags().BoolVar(&force, "force", false, "delete even while deployments are active")
		}, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.DeleteServiceWithResponse(ctx, f.project, a[0], &openapi.DeleteServiceParams{Force: &force})
			return out(f, r, err)
		}),
	)
}

func appCommand() *cobra.Command {
	var desc string
	return noun("app", "SQL applications",
		verb("list", "List the service's applications", cobra.NoArgs, "ps", nil, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			r, err := c.ListApplicationsWithResponse(ctx, f.project, f.service, &openapi.ListApplicationsParams{})
			return out(f, r, err, appCols...)
		}),
		verb("create NAME", "Create an application", cobra.ExactArgs(1), "ps", func(c *cobra.Command) {
			c.Flags().StringVar(&desc, "description", "", "description")
		}, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.CreateApplicationWithResponse(ctx, f.project, f.service, &openapi.CreateApplicationParams{}, openapi.ApplicationCreate{Name: a[0], Description: &desc})
			return out(f, r, err, appCols...)
		}),
		verb("get ID", "Show an application", cobra.ExactArgs(1), "ps", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.GetApplicationWithResponse(ctx, f.project, f.service, a[0])
			return out(f, r, err, appCols...)
		}),
		verb("delete ID", "Delete an application", cobra.ExactArgs(1), "ps", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.DeleteApplicationWithResponse(ctx, f.project, f.service, a[0])
			return out(f, r, err)
		}),
	)
}

// versionVerbs are the subcommands of `flowplane version` (which alone prints the build version).
func versionVerbs() []*cobra.Command {
	body := func(file string) (openapi.ApplicationVersionCreate, error) {
		sql, err := readSQL(file)
		return openapi.ApplicationVersionCreate{Statement: sql}, err
	}
	return []*cobra.Command{
		verb("list", "List versions", cobra.NoArgs, "psa", nil, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			r, err := c.ListVersionsWithResponse(ctx, f.project, f.service, f.app, &openapi.ListVersionsParams{})
			return out(f, r, err, versionCols...)
		}),
		verb("create FILE", "Create the next version from a SQL file (- for stdin)", cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			b, err := body(a[0])
			if err != nil {
				return err
			}
			r, err := c.CreateVersionWithResponse(ctx, f.project, f.service, f.app, &openapi.CreateVersionParams{}, b)
			return out(f, r, err, versionCols...)
		}),
		verb("validate FILE", "Check a SQL file without saving it", cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			b, err := body(a[0])
			if err != nil {
				return err
			}
			r, err := c.ValidateVersionWithResponse(ctx, f.project, f.service, f.app, b)
			return out(f, r, err, "valid", "errors")
		}),
		verb("get ID", "Show a version", cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.GetApplicationVersionWithResponse(ctx, f.project, f.service, f.app, a[0])
			return out(f, r, err, append(versionCols, "statement")...)
		}),
	}
}

// The columns of checkpoints and savepoints.
var (
	checkpointCols = []string{"checkpoint_id", "status", "is_savepoint", "size_bytes", "duration_ms", "completed_at", "failure_message"}
	savepointCols  = []string{"id", "status", "reason", "checkpoint_id", "size_bytes", "location", "completed_at", "failure"}
)

func deployCommand() *cobra.Command {
	var version, restart, fromSavepoint string
	var parallelism int
	var interval time.Duration
	act := func(use, short string, call func(ctx context.Context, c *client, f *clientFlags, id string) (response, error)) *cobra.Command {
		return verb(use+" ID", short, cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := call(ctx, c, f, a[0])
			return out(f, r, err, deploymentCols...)
		})
	}
	return noun("deploy", "Deployments of an application version",
		verb("list", "List deployments", cobra.NoArgs, "psa", nil, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			r, err := c.ListDeploymentsWithResponse(ctx, f.project, f.service, f.app, &openapi.ListDeploymentsParams{})
			return out(f, r, err, deploymentCols...)
		}),
		verb("create", "Deploy a version", cobra.NoArgs, "psa", func(c *cobra.Command) {
			c.Flags().StringVar(&version, "version", "", "version id")
			c.Flags().IntVar(&parallelism, "parallelism", 1, "parallelism (task slots)")
			c.Flags().StringVar(&restart, "restart", "exponential-delay", "restart strategy: exponential-delay, fixed-delay, failure-rate or none")
			c.Flags().StringVar(&fromSavepoint, "from-savepoint", "", "id of a savepoint of the application to start from")
			c.Flags().DurationVar(&interval, "checkpoint-interval", 0, "interval between checkpoints (0: the server's default)")
		}, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			b := openapi.DeploymentCreate{VersionId: version, Parallelism: parallelism,
				RestartStrategy: &openapi.RestartStrategy{Type: openapi.RestartStrategyType(restart)}}
			if fromSavepoint != "" {
				b.StartingSavepointId = &fromSavepoint
			}
			if interval > 0 {
				ms := interval.Milliseconds()
				b.CheckpointIntervalMs = &ms
			}
			r, err := c.CreateDeploymentWithResponse(ctx, f.project, f.service, f.app, &openapi.CreateDeploymentParams{}, b)
			return out(f, r, err, deploymentCols...)
		}),
		act("get", "Show a deployment", func(ctx context.Context, c *client, f *clientFlags, id string) (response, error) {
			return c.GetDeploymentWithResponse(ctx, f.project, f.service, f.app, id)
		}),
		act("stop", "Stop with a savepoint", func(ctx context.Context, c *client, f *clientFlags, id string) (response, error) {
			return c.StopDeploymentWithResponse(ctx, f.project, f.service, f.app, id)
		}),
		act("cancel", "Cancel without a savepoint", func(ctx context.Context, c *client, f *clientFlags, id string) (response, error) {
			return c.CancelDeploymentWithResponse(ctx, f.project, f.service, f.app, id)
		}),
		act("restart", "Restart from the latest checkpoint", func(ctx context.Context, c *client, f *clientFlags, id string) (response, error) {
			return c.RestartDeploymentWithResponse(ctx, f.project, f.service, f.app, id)
		}),
		verb("events ID", "What happened to a deployment", cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.ListDeploymentEventsWithResponse(ctx, f.project, f.service, f.app, a[0], &openapi.ListDeploymentEventsParams{})
			return out(f, r, err, "created_at", "type", "status", "message")
		}),
		verb("checkpoints ID", "A deployment's retained checkpoints", cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.ListCheckpointsWithResponse(ctx, f.project, f.service, f.app, a[0], &openapi.ListCheckpointsParams{})
			return out(f, r, err, checkpointCols...)
		}),
		verb("savepoints ID", "A deployment's savepoints", cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.ListSavepointsWithResponse(ctx, f.project, f.service, f.app, a[0], &openapi.ListSavepointsParams{})
			return out(f, r, err, savepointCols...)
		}),
		verb("savepoint ID", "Take a savepoint of a running deployment", cobra.ExactArgs(1), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.CreateSavepointWithResponse(ctx, f.project, f.service, f.app, a[0], &openapi.CreateSavepointParams{})
			return out(f, r, err, savepointCols...)
		}),
		verb("delete-savepoint ID SAVEPOINT_ID", "Delete a savepoint and its state", cobra.ExactArgs(2), "psa", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.DeleteSavepointWithResponse(ctx, f.project, f.service, f.app, a[0], a[1])
			return out(f, r, err)
		}),
	)
}

func tokenCommand() *cobra.Command {
	var desc, project, role string
	var expiresIn int
	return noun("token", "API tokens",
		verb("list", "List your tokens", cobra.NoArgs, "", nil, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			r, err := c.ListTokensWithResponse(ctx, &openapi.ListTokensParams{})
			return out(f, r, err, tokenCols...)
		}),
		verb("create", "Create an API token (shown once)", cobra.NoArgs, "", func(c *cobra.Command) {
			c.Flags().StringVar(&desc, "description", "", "what the token is for")
			c.Flags().StringVar(&project, "project", "", "narrow the token to one project")
			c.Flags().StringVar(&role, "role", "", "narrow the token to a role: admin, developer or viewer")
			c.Flags().IntVar(&expiresIn, "expires-in", 30*24*3600, "lifetime in seconds")
		}, func(ctx context.Context, c *client, f *clientFlags, _ []string) error {
			b := openapi.TokenCreate{Description: &desc, ExpiresIn: &expiresIn}
			if project != "" {
				b.Project = &project
			}
			if role != "" {
				r := openapi.Role(role)
				b.Role = &r
			}
			r, err := c.CreateTokenWithResponse(ctx, &openapi.CreateTokenParams{}, b)
			return out(f, r, err, append([]string{"token"}, tokenCols...)...)
		}),
		verb("revoke ID", "Revoke a token", cobra.ExactArgs(1), "", nil, func(ctx context.Context, c *client, f *clientFlags, a []string) error {
			r, err := c.RevokeTokenWithResponse(ctx, a[0])
			return out(f, r, err)
		}),
	)
}

// response is any generated reply.
type response interface {
	StatusCode() int
	GetBody() []byte
}
