/**
 * What the resource types need from the Atlassian client: one page or one write per call, shapes
 * named as Atlassian names them. The client layer (src/atlassian) implements it; resource types
 * depend only on this interface.
 */
import type { RequestContext } from '../atlassian';

export interface JiraUser {
  accountId: string;
  accountType?: string;
  appType?: string;
  active: boolean;
  displayName?: string;
  emailAddress?: string | null;
  timeZone?: string;
  locale?: string;
}

export interface PageBean<T> {
  startAt?: number;
  maxResults?: number;
  total?: number;
  isLast?: boolean;
  values: T[];
}

export interface JiraGroup {
  groupId: string;
  name: string;
}

export interface JiraProject {
  id: string;
  key: string;
  name: string;
  projectTypeKey?: string;
  style?: string;
  simplified?: boolean;
  isPrivate?: boolean;
  archived?: boolean;
  description?: string;
  lead?: { accountId?: string; displayName?: string } | null;
}

export interface JiraRoleDetails {
  id: number;
  name: string;
  description?: string;
  scope?: { type?: string; project?: { id?: string } } | null;
}

export interface JiraRoleActor {
  id?: number;
  displayName?: string;
  type: string;
  actorUser?: { accountId?: string } | null;
  actorGroup?: { name?: string; displayName?: string; groupId?: string } | null;
}

export interface JiraProjectRole extends JiraRoleDetails {
  actors?: JiraRoleActor[];
}

export interface JiraApplicationRole {
  key: string;
  name: string;
  groups?: string[];
  groupDetails?: { groupId?: string | null; name?: string }[];
  defaultGroups?: string[];
  defaultGroupsDetails?: { groupId?: string | null; name?: string }[];
  numberOfSeats?: number;
  remainingSeats?: number;
  userCount?: number;
  hasUnlimitedSeats?: boolean;
  platform?: boolean;
}

export interface JiraApi {
  searchUsers(startAt: number, maxResults: number, ctx?: RequestContext): Promise<JiraUser[]>;
  getUser(accountId: string, ctx?: RequestContext): Promise<JiraUser>;
  listGroups(startAt: number, maxResults: number, ctx?: RequestContext): Promise<PageBean<JiraGroup>>;
  /** GET /group/bulk?groupId=: undefined when there is no such group */
  getGroup(groupId: string, ctx?: RequestContext): Promise<JiraGroup | undefined>;
  groupMembers(groupId: string, startAt: number, maxResults: number, ctx?: RequestContext): Promise<PageBean<JiraUser>>;
  searchProjects(q: { startAt: number; maxResults: number; keys?: string[]; expand?: string }, ctx?: RequestContext): Promise<PageBean<JiraProject>>;
  getProject(idOrKey: string, ctx?: RequestContext): Promise<JiraProject>;
  /** GET /role: every role of the site (the roles of every company-managed project) */
  roles(ctx?: RequestContext): Promise<JiraRoleDetails[]>;
  projectRoleDetails(projectIdOrKey: string, ctx?: RequestContext): Promise<JiraRoleDetails[]>;
  projectRole(projectIdOrKey: string, roleId: number | string, ctx?: RequestContext): Promise<JiraProjectRole>;
  applicationRoles(ctx?: RequestContext): Promise<JiraApplicationRole[]>;
}
