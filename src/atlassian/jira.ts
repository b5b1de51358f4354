/**
 * Jira Cloud platform REST v3: one typed method per endpoint, one upstream page or one write per
 * call. Paging is the caller's business (it keeps the state in its page token).
 */
import { z } from 'zod';
import { ConnectorError } from '../errors';
import type { RequestContext, Upstream } from './http';
import {
  ApplicationRoleSchema,
  GroupDetailsSchema,
  GroupNameSchema,
  JiraApplicationRole,
  JiraGroup,
  JiraGroupName,
  JiraPermissionScheme,
  JiraProject,
  JiraProjectRole,
  JiraProjectRoleDetails,
  JiraServerInfo,
  JiraUser,
  JiraUserDetails,
  JiraUserDetailsSchema,
  JiraUserSchema,
  MyPermissionsSchema,
  AllPermissionsSchema,
  BulkPermissionGrantsSchema,
  JiraBulkPermissionGrants,
  JiraPermissionInfo,
  PageBean,
  pageBean,
  PermissionSchemesSchema,
  ProjectPermissionSchemeSchema,
  JiraProjectPermissionScheme,
  ProjectRoleDetailsSchema,
  ProjectRoleSchema,
  ProjectSchema,
  ServerInfoSchema,
  AuditRecordsSchema,
  JiraAuditRecords,
} from './schemas';
import { safeWrite, WriteResult } from './writes';
import { UpstreamError } from './errors';
import { ENDPOINTS as E, endpointKey, EndpointName } from './capabilities';

export interface SearchProjectsOptions {
  startAt: number;
  maxResults: number;
  /** only these project keys (at most 50 per call) */
  keys?: string[];
  /** comma list or array; default "lead" */
  expand?: string | string[];
  orderBy?: string;
}

export type RoleActorRef = { accountId: string } | { groupId: string };

export interface JiraClient {
  /** where Jira requests go: the site URL or https://api.atlassian.com/ex/jira/<cloudId> (cloud ID discovered on first use) */
  baseUrl(ctx?: RequestContext): Promise<string>;
  /** the caller, with groups and application roles expanded */
  myself(ctx?: RequestContext): Promise<JiraUser>;
  serverInfo(ctx?: RequestContext): Promise<JiraServerInfo>;
  /** GET /users/search: a bare array; an empty page is the end (Jira may return fewer than asked) */
  searchUsers(startAt: number, maxResults: number, ctx?: RequestContext): Promise<JiraUser[]>;
  /** GET /user/search?query= (prefix of display name or email; active users; first 1000 matches) */
  findUsers(query: string, startAt: number, maxResults: number, ctx?: RequestContext): Promise<JiraUser[]>;
  getUser(accountId: string, ctx?: RequestContext): Promise<JiraUser>;
  userGroups(accountId: string, ctx?: RequestContext): Promise<JiraGroupName[]>;
  listGroups(startAt: number, maxResults: number, ctx?: RequestContext): Promise<PageBean<JiraGroup>>;
  /** GET /group/bulk?groupId=: the group, or undefined when there is none with that ID */
  getGroup(groupId: string, ctx?: RequestContext): Promise<JiraGroup | undefined>;
  /** GET /group/member with includeInactiveUsers=true (page size at most 50) */
  groupMembers(groupId: string, startAt: number, maxResults: number, ctx?: RequestContext): Promise<PageBean<JiraUserDetails>>;
  addGroupMember(groupId: string, accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  removeGroupMember(groupId: string, accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  /** GET /project/search; a 404 (nothing matches) is an empty last page */
  searchProjects(opts: SearchProjectsOptions, ctx?: RequestContext): Promise<PageBean<JiraProject>>;
  getProject(projectIdOrKey: string, ctx?: RequestContext): Promise<JiraProject>;
  /** GET /role: every project role with its id (actors are the defaults for new projects) */
  roles(ctx?: RequestContext): Promise<JiraProjectRole[]>;
  projectRoleDetails(projectIdOrKey: string, ctx?: RequestContext): Promise<JiraProjectRoleDetails[]>;
  /** the role in the project with all its actors (unpaged) */
  projectRole(projectIdOrKey: string, roleId: number | string, ctx?: RequestContext): Promise<JiraProjectRole>;
  addRoleActors(projectIdOrKey: string, roleId: number | string, actors: { users?: string[]; groupIds?: string[] }, ctx?: RequestContext): Promise<WriteResult>;
  removeRoleActor(projectIdOrKey: string, roleId: number | string, actor: RoleActorRef, ctx?: RequestContext): Promise<WriteResult>;
  applicationRoles(ctx?: RequestContext): Promise<JiraApplicationRole[]>;
  /** POST /user (Administer Jira): creates the user or invites the email; products [] = no product access */
  createUser(input: { emailAddress: string; products: string[] }, ctx?: RequestContext): Promise<JiraUser>;
  /** GET /permissionscheme?expand=permissions: every scheme with its grants (unpaged) */
  permissionSchemes(ctx?: RequestContext): Promise<JiraPermissionScheme[]>;
  /** GET /project/{id}/permissionscheme: the scheme a project uses, without its grants */
  projectPermissionScheme(projectIdOrKey: string, ctx?: RequestContext): Promise<JiraProjectPermissionScheme>;
  /** GET /mypermissions: which of these permission keys the caller holds (e.g. ADMINISTER, USER_PICKER) */
  myPermissions(keys: string[], ctx?: RequestContext): Promise<Record<string, boolean>>;
  /** DELETE /user?accountId=: removes the account from Jira's user base (the Atlassian account remains); changed: false when it was not there */
  removeUser(accountId: string, ctx?: RequestContext): Promise<WriteResult>;
  /** GET /permissions: every permission Jira knows (global and project), with its type */
  allPermissions(ctx?: RequestContext): Promise<JiraPermissionInfo[]>;
  /** POST /permissions/check: the permissions one account holds (globals, and per project permission the projects among `projects`, at most 1000) */
  checkPermissions(
    input: { accountId: string; globalPermissions?: string[]; projectPermissions?: { permissions: string[]; projects: number[] }[] },
    ctx?: RequestContext,
  ): Promise<JiraBulkPermissionGrants>;
  /** GET /auditing/record (Administer Jira, paid plan): one page of the records created on or after `from` that match every word of `filter` */
  auditRecords(q: { offset: number; limit: number; from: string; filter?: string }, ctx?: RequestContext): Promise<JiraAuditRecords>;
}

function actorsOf(role: JiraProjectRole): { users: Set<string>; groups: Set<string> } {
  const users = new Set<string>();
  const groups = new Set<string>();
  for (const a of role.actors) {
    if (a.actorUser?.accountId) users.add(a.actorUser.accountId);
    if (a.actorGroup?.groupId) groups.add(a.actorGroup.groupId);
  }
  return { users, groups };
}

function expandList(e: string | string[] | undefined, dflt: string): string | undefined {
  if (e === undefined) return dflt;
  const s = Array.isArray(e) ? e.join(',') : e;
  return s || undefined;
}

/** Reads the state to decide whether a refused write is a no-op; a failed read means "cannot tell". */
async function stateSays(read: () => Promise<boolean>): Promise<boolean> {
  try {
    return await read();
  } catch {
    return false;
  }
}

export function createJiraClient(up: Upstream, baseUrl: (ctx?: RequestContext) => Promise<string>): JiraClient {
  // every path is a template of the capability table (capabilities.ts), filled by the path builder
  const get = <T>(
    name: EndpointName,
    schema: z.ZodType<T>,
    ctx: RequestContext | undefined,
    pathParams?: Record<string, string | number>,
    query?: Record<string, string | number | boolean | string[] | undefined>,
  ) => up.call({ method: 'GET', path: E[name].path, pathParams, query, schema }, ctx);

  const client: JiraClient = {
    baseUrl: (ctx) => baseUrl(ctx),

    myself: (ctx) => get('myself', JiraUserSchema, ctx, undefined, { expand: 'groups,applicationRoles' }),

    serverInfo: (ctx) => get('serverInfo', ServerInfoSchema, ctx),

    searchUsers: (startAt, maxResults, ctx) => get('usersSearch', z.array(JiraUserSchema), ctx, undefined, { startAt, maxResults }),

    findUsers: (query, startAt, maxResults, ctx) => get('userSearch', z.array(JiraUserSchema), ctx, undefined, { query, startAt, maxResults }),

    getUser: (accountId, ctx) => get('user', JiraUserSchema, ctx, undefined, { accountId }),

    userGroups: (accountId, ctx) => get('userGroups', z.array(GroupNameSchema), ctx, undefined, { accountId }),

    listGroups: (startAt, maxResults, ctx) => get('groupBulk', pageBean(GroupDetailsSchema), ctx, undefined, { startAt, maxResults }),

    async getGroup(groupId, ctx) {
      const p = await get('groupBulk', pageBean(GroupDetailsSchema), ctx, undefined, { groupId: [groupId], startAt: 0, maxResults: 1 });
      return p.values.find((g) => g.groupId === groupId);
    },

    groupMembers: (groupId, startAt, maxResults, ctx) =>
      get('groupMember', pageBean(JiraUserDetailsSchema), ctx, undefined, { groupId, includeInactiveUsers: true, startAt, maxResults: Math.min(Math.max(1, maxResults), 50) }),

    async addGroupMember(groupId, accountId, ctx) {
      return safeWrite({
        endpoint: endpointKey('addGroupUser'),
        send: async () => {
          await up.call({ method: 'POST', path: E.addGroupUser.path, query: { groupId }, body: { accountId } }, ctx);
        },
        // a refusal is checked against the state, never judged by its English text
        isAlready: async (e) => e.kind === 'invalid-input' && (await stateSays(() => client.userGroups(accountId, ctx).then((gs) => gs.some((g) => g.groupId === groupId)))),
        verify: async () => (await client.userGroups(accountId, ctx)).some((g) => g.groupId === groupId),
      });
    },

    async removeGroupMember(groupId, accountId, ctx) {
      return safeWrite({
        endpoint: endpointKey('removeGroupUser'),
        send: async () => {
          await up.call({ method: 'DELETE', path: E.removeGroupUser.path, query: { groupId, accountId } }, ctx);
        },
        // Jira refuses (400, or 404 for a missing user) when there is nothing to remove: check the state
        isAlready: async (e) =>
          (e.kind === 'invalid-input' || e.kind === 'not-found') &&
          (await stateSays(() => client.getGroup(groupId, ctx).then(async (g) => !!g && !(await client.userGroups(accountId, ctx)).some((x) => x.groupId === groupId)))),
        verify: async () => !(await client.userGroups(accountId, ctx)).some((g) => g.groupId === groupId),
      });
    },

    async searchProjects(opts, ctx) {
      const keys = opts.keys?.length ? opts.keys : undefined;
      if (keys && keys.length > 50) throw new ConnectorError('invalid-input', `${endpointKey('projectSearch')} accepts at most 50 project keys per call`);
      const res = await up.callRaw(
        {
          method: 'GET',
          path: E.projectSearch.path,
          query: { startAt: opts.startAt, maxResults: opts.maxResults, keys, expand: expandList(opts.expand, 'lead'), orderBy: opts.orderBy },
          schema: pageBean(ProjectSchema),
          acceptStatus: [404],
        },
        ctx,
      );
      // Jira answers 404 when nothing matches the criteria (e.g. unknown keys)
      if (res.status === 404) return { startAt: opts.startAt, maxResults: opts.maxResults, total: 0, isLast: true, values: [] };
      return res.data;
    },

    getProject: (projectIdOrKey, ctx) => get('project', ProjectSchema, ctx, { projectIdOrKey }, { expand: 'lead' }),

    roles: (ctx) => get('roles', z.array(ProjectRoleSchema), ctx),

    projectRoleDetails: (projectIdOrKey, ctx) => get('roleDetails', z.array(ProjectRoleDetailsSchema), ctx, { projectIdOrKey }),

    projectRole: (projectIdOrKey, roleId, ctx) => get('projectRole', ProjectRoleSchema, ctx, { projectIdOrKey, id: roleId }),

    async addRoleActors(projectIdOrKey, roleId, actors, ctx) {
      const users = [...new Set(actors.users ?? [])];
      const groupIds = [...new Set(actors.groupIds ?? [])];
      if (!users.length && !groupIds.length) return { changed: false };
      const missing = async () => {
        const present = actorsOf(await client.projectRole(projectIdOrKey, roleId, ctx));
        return { users: users.filter((u) => !present.users.has(u)), groupIds: groupIds.filter((g) => !present.groups.has(g)) };
      };
      const post = (u: string[], g: string[]) =>
        safeWrite({
          endpoint: endpointKey('addRoleActors'),
          send: async () => {
            const body: Record<string, string[]> = {};
            if (u.length) body.user = u;
            if (g.length) body.groupId = g;
            await up.call({ method: 'POST', path: E.addRoleActors.path, pathParams: { projectIdOrKey, id: roleId }, body, schema: ProjectRoleSchema }, ctx);
          },
          // one of several actors already there fails the whole request: handled below
          isAlready: async (e) =>
            e.kind === 'invalid-input' &&
            (await stateSays(async () => {
              const m = await missing();
              return m.users.length === 0 && m.groupIds.length === 0;
            })),
          verify: async () => {
            const m = await missing();
            return m.users.length === 0 && m.groupIds.length === 0;
          },
        });
      try {
        return await post(users, groupIds);
      } catch (e) {
        // several actors, some already there: Jira refuses the whole request; send only the missing ones
        if (!(e instanceof ConnectorError && e.kind === 'invalid-input') || users.length + groupIds.length === 1) throw e;
        const m = await missing();
        if (m.users.length + m.groupIds.length === users.length + groupIds.length) throw e;
        if (!m.users.length && !m.groupIds.length) return { changed: false };
        return post(m.users, m.groupIds);
      }
    },

    async removeRoleActor(projectIdOrKey, roleId, actor, ctx) {
      const isUser = 'accountId' in actor;
      const absent = async () => {
        const present = actorsOf(await client.projectRole(projectIdOrKey, roleId, ctx));
        return isUser ? !present.users.has(actor.accountId) : !present.groups.has((actor as { groupId: string }).groupId);
      };
      return safeWrite({
        endpoint: endpointKey('removeRoleActor'),
        send: async () => {
          await up.call(
            {
              method: 'DELETE',
              path: E.removeRoleActor.path,
              pathParams: { projectIdOrKey, id: roleId },
              query: isUser ? { user: actor.accountId } : { groupId: (actor as { groupId: string }).groupId },
            },
            ctx,
          );
        },
        // Jira answers 404 (or 400) when the actor is not in the role; tell that apart from a missing project or role
        isAlready: async (e) => {
          if (e.kind !== 'not-found' && e.kind !== 'invalid-input') return false;
          try {
            return await absent();
          } catch {
            return false;
          }
        },
        verify: absent,
      });
    },

    applicationRoles: (ctx) => get('applicationRoles', z.array(ApplicationRoleSchema), ctx),

    async createUser(input, ctx) {
      const lookup = async (): Promise<JiraUser | undefined> => {
        const found = await client.findUsers(input.emailAddress, 0, 10, ctx);
        return found.find((u) => (u.emailAddress ?? '').toLowerCase() === input.emailAddress.toLowerCase());
      };
      for (let sent = 1; ; sent++) {
        try {
          return await up.call({ method: 'POST', path: E.createUser.path, body: { emailAddress: input.emailAddress, products: input.products }, schema: JiraUserSchema }, ctx);
        } catch (e) {
          if (!(e instanceof UpstreamError) || !e.ambiguous || sent >= 2) throw e;
          // the user may have been created: look before sending the invitation again
          let u: JiraUser | undefined;
          try {
            u = await lookup();
          } catch {
            throw e; // cannot tell: never resend blindly
          }
          if (u) return u;
        }
      }
    },

    async permissionSchemes(ctx) {
      return (await get('permissionSchemes', PermissionSchemesSchema, ctx, undefined, { expand: 'permissions' })).permissionSchemes;
    },

    projectPermissionScheme: (projectIdOrKey, ctx) => get('projectPermissionScheme', ProjectPermissionSchemeSchema, ctx, { projectKeyOrId: projectIdOrKey }),

    async myPermissions(keys, ctx) {
      const r = await get('myPermissions', MyPermissionsSchema, ctx, undefined, { permissions: keys.join(',') });
      const out: Record<string, boolean> = {};
      for (const k of keys) out[k] = !!r.permissions[k]?.havePermission;
      return out;
    },

    async removeUser(accountId, ctx) {
      const onSite = () =>
        client.getUser(accountId, ctx).then(
          () => true,
          (e: unknown) => {
            if (e instanceof ConnectorError && e.kind === 'not-found') return false;
            throw e;
          },
        );
      return safeWrite({
        endpoint: endpointKey('removeUser'),
        send: async () => {
          await up.call({ method: 'DELETE', path: E.removeUser.path, query: { accountId } }, ctx);
        },
        isAlready: async (e) => e.kind === 'not-found' && !(await onSite().catch(() => true)),
        verify: async () => !(await onSite()),
      });
    },

    async allPermissions(ctx) {
      const r = await get('allPermissions', AllPermissionsSchema, ctx);
      return Object.entries(r.permissions).map(([k, p]) => ({ key: p.key ?? k, name: p.name ?? k, type: p.type ?? '', description: p.description ?? '' }));
    },

    // a read sent as POST: safe to resend
    checkPermissions: (input, ctx) => up.call({ method: 'POST', path: E.permissionsCheck.path, body: input, schema: BulkPermissionGrantsSchema, idempotent: true }, ctx),

    auditRecords: (q, ctx) => get('auditRecords', AuditRecordsSchema, ctx, undefined, { offset: q.offset, limit: q.limit, from: q.from, filter: q.filter }),
  };
  // Jira answers 401 on project-role writes when the account is not an admin of the project. If
  // the same credential reads /myself, the 401 is a missing permission, not a bad credential.
  const roleWrite = async <T>(fn: () => Promise<T>, ctx?: RequestContext): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof UpstreamError) || e.kind !== 'auth' || e.details.status !== 401 || /scope/i.test(e.details.upstreamMessage ?? '')) throw e;
      const ok = await client.myself(ctx).then(
        () => true,
        () => false,
      );
      if (!ok) throw e;
      throw new UpstreamError(
        'permission',
        `Jira refused ${e.details.endpoint}: the account is signed in but may not change this project's roles`,
        {
          endpoint: e.details.endpoint,
          status: 401,
          upstreamMessage: e.details.upstreamMessage,
          hint: 'It needs "Administer projects" on the project (e.g. the project\'s Administrators role) or the global "Administer Jira" permission.',
        },
        false,
      );
    }
  };
  const addRoleActors = client.addRoleActors;
  const removeRoleActor = client.removeRoleActor;
  client.addRoleActors = (p, r, a, ctx) => roleWrite(() => addRoleActors(p, r, a, ctx), ctx);
  client.removeRoleActor = (p, r, a, ctx) => roleWrite(() => removeRoleActor(p, r, a, ctx), ctx);

  return client;
}
