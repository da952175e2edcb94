package api

import (
	"context"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/problem"
)

// Temporary: operations not implemented yet answer 501.

func (s *server) Login(context.Context, openapi.LoginRequestObject) (openapi.LoginResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetMe(context.Context, openapi.GetMeRequestObject) (openapi.GetMeResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListPlans(context.Context, openapi.ListPlansRequestObject) (openapi.ListPlansResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListProjects(context.Context, openapi.ListProjectsRequestObject) (openapi.ListProjectsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateProject(context.Context, openapi.CreateProjectRequestObject) (openapi.CreateProjectResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) DeleteProject(context.Context, openapi.DeleteProjectRequestObject) (openapi.DeleteProjectResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetProject(context.Context, openapi.GetProjectRequestObject) (openapi.GetProjectResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) UpdateProject(context.Context, openapi.UpdateProjectRequestObject) (openapi.UpdateProjectResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListAudit(context.Context, openapi.ListAuditRequestObject) (openapi.ListAuditResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListMembers(context.Context, openapi.ListMembersRequestObject) (openapi.ListMembersResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) AddMember(context.Context, openapi.AddMemberRequestObject) (openapi.AddMemberResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) RemoveMember(context.Context, openapi.RemoveMemberRequestObject) (openapi.RemoveMemberResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) UpdateMember(context.Context, openapi.UpdateMemberRequestObject) (openapi.UpdateMemberResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListServices(context.Context, openapi.ListServicesRequestObject) (openapi.ListServicesResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateService(context.Context, openapi.CreateServiceRequestObject) (openapi.CreateServiceResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) DeleteService(context.Context, openapi.DeleteServiceRequestObject) (openapi.DeleteServiceResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetService(context.Context, openapi.GetServiceRequestObject) (openapi.GetServiceResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) UpdateService(context.Context, openapi.UpdateServiceRequestObject) (openapi.UpdateServiceResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListApplications(context.Context, openapi.ListApplicationsRequestObject) (openapi.ListApplicationsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateApplication(context.Context, openapi.CreateApplicationRequestObject) (openapi.CreateApplicationResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) DeleteApplication(context.Context, openapi.DeleteApplicationRequestObject) (openapi.DeleteApplicationResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetApplication(context.Context, openapi.GetApplicationRequestObject) (openapi.GetApplicationResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) UpdateApplication(context.Context, openapi.UpdateApplicationRequestObject) (openapi.UpdateApplicationResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListDeployments(context.Context, openapi.ListDeploymentsRequestObject) (openapi.ListDeploymentsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateDeployment(context.Context, openapi.CreateDeploymentRequestObject) (openapi.CreateDeploymentResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetDeployment(context.Context, openapi.GetDeploymentRequestObject) (openapi.GetDeploymentResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CancelDeployment(context.Context, openapi.CancelDeploymentRequestObject) (openapi.CancelDeploymentResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListCheckpoints(context.Context, openapi.ListCheckpointsRequestObject) (openapi.ListCheckpointsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListDeploymentEvents(context.Context, openapi.ListDeploymentEventsRequestObject) (openapi.ListDeploymentEventsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetDeploymentJob(context.Context, openapi.GetDeploymentJobRequestObject) (openapi.GetDeploymentJobResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) RestartDeployment(context.Context, openapi.RestartDeploymentRequestObject) (openapi.RestartDeploymentResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListSavepoints(context.Context, openapi.ListSavepointsRequestObject) (openapi.ListSavepointsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateSavepoint(context.Context, openapi.CreateSavepointRequestObject) (openapi.CreateSavepointResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) StopDeployment(context.Context, openapi.StopDeploymentRequestObject) (openapi.StopDeploymentResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListVersions(context.Context, openapi.ListVersionsRequestObject) (openapi.ListVersionsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateVersion(context.Context, openapi.CreateVersionRequestObject) (openapi.CreateVersionResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ValidateVersion(context.Context, openapi.ValidateVersionRequestObject) (openapi.ValidateVersionResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) DeleteVersion(context.Context, openapi.DeleteVersionRequestObject) (openapi.DeleteVersionResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetApplicationVersion(context.Context, openapi.GetApplicationVersionRequestObject) (openapi.GetApplicationVersionResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListIntegrations(context.Context, openapi.ListIntegrationsRequestObject) (openapi.ListIntegrationsResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateIntegration(context.Context, openapi.CreateIntegrationRequestObject) (openapi.CreateIntegrationResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) DeleteIntegration(context.Context, openapi.DeleteIntegrationRequestObject) (openapi.DeleteIntegrationResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetIntegration(context.Context, openapi.GetIntegrationRequestObject) (openapi.GetIntegrationResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) GetServiceOverview(context.Context, openapi.GetServiceOverviewRequestObject) (openapi.GetServiceOverviewResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListTokens(context.Context, openapi.ListTokensRequestObject) (openapi.ListTokensResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateToken(context.Context, openapi.CreateTokenRequestObject) (openapi.CreateTokenResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) RevokeToken(context.Context, openapi.RevokeTokenRequestObject) (openapi.RevokeTokenResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) ListUsers(context.Context, openapi.ListUsersRequestObject) (openapi.ListUsersResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}

func (s *server) CreateUser(context.Context, openapi.CreateUserRequestObject) (openapi.CreateUserResponseObject, error) {
	return nil, problem.New(problem.CodeNotImplemented, "not implemented yet")
}
