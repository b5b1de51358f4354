/**
 * The Atlassian client layer: builds one Upstream per host from the parsed configuration and
 * hands out the typed Jira and admin clients.
 *
 * Where Jira requests go, by auth mode:
 *   basic                     site URL, Basic email:classic-token
 *   scoped-basic              <apiUrl>/ex/jira/<cloudId>, Basic email:scoped-token
 *   scoped-bearer             <apiUrl>/ex/jira/<cloudId>, Bearer service-account token
 *   oauth-client-credentials  <apiUrl>/ex/jira/<cloudId>, Bearer access token (client_credentials)
 *   oauth-refresh-token       <apiUrl>/ex/jira/<cloudId>, Bearer access token (rotating refresh token)
 * The cloud ID comes from the configuration, the gateway form of jira-url, or, on first use,
 * from <siteUrl>/_edge/tenant_info. The admin API always uses the org API key as Bearer.
 */
export type { RequestContext, ClientStats, RetryPolicy, DryRunWrite } from './http';
export { createAtlassianClients, discoverCloudId } from './clients';
export type { AtlassianClients, ClientOptions } from './clients';
export type { JiraClient, SearchProjectsOptions, RoleActorRef } from './jira';
export type { AdminClient, CursorPage, DirectoryUserSearch, DirectoryGroupSearch, LastActiveDates } from './admin';
export type { WriteResult } from './writes';
export type { ActivityClient, JiraHistory, JiraSearchIssue, IssueSearchPage } from './activity';
export type { IssuesClient, JiraIssue, JiraFieldMeta, JiraIssueType, JiraStatus, JiraCreatedIssue } from './issues';
export type {
  PageBean,
  JiraUser,
  JiraUserDetails,
  JiraGroup,
  JiraGroupName,
  JiraProject,
  JiraProjectRole,
  JiraProjectRoleDetails,
  JiraRoleActor,
  JiraApplicationRole,
  JiraServerInfo,
  JiraPermissionScheme,
  JiraAuditRecord,
  AdminOrg,
  AdminOrgUser,
  AdminDirectory,
  AdminDirectoryUser,
  AdminDirectoryGroup,
  AdminApiToken,
  AdminWorkspace,
} from './schemas';
export { UpstreamError, describeAuthMode } from './errors';
export { probeCapabilities, probeFailure } from './probe';
export type { ProbeResult } from './probe';
