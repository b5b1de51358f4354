/**
 * zod shapes of every Atlassian response this layer depends on. Unknown extra fields are accepted
 * (and dropped); a missing or mistyped field we rely on fails the call with a bad-upstream error
 * that names the endpoint.
 */
import { z } from 'zod';

const str = z.string();
const optStr = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
const optBool = z
  .boolean()
  .nullish()
  .transform((v) => v ?? undefined);
const optNum = z
  .number()
  .nullish()
  .transform((v) => v ?? undefined);

// ---------------------------------------------------------------- Jira

export const GroupNameSchema = z.object({ name: str, groupId: optStr, self: optStr });
export type JiraGroupName = z.infer<typeof GroupNameSchema>;

export const JiraUserSchema = z.object({
  accountId: str.min(1),
  /** atlassian | app | customer | unknown */
  accountType: optStr,
  /** only for accountType app: service | agent | unknown */
  appType: optStr,
  active: z.boolean(),
  displayName: optStr,
  /** null or absent when the user's profile visibility hides it */
  emailAddress: optStr,
  timeZone: optStr,
  locale: optStr,
  avatarUrls: z
    .record(z.string(), z.string())
    .nullish()
    .transform((v) => v ?? undefined),
  groups: z
    .object({ size: optNum, items: z.array(GroupNameSchema).default([]) })
    .nullish()
    .transform((v) => v ?? undefined),
  applicationRoles: z
    .object({ size: optNum, items: z.array(z.object({ key: str, name: optStr })).default([]) })
    .nullish()
    .transform((v) => v ?? undefined),
  self: optStr,
});
export type JiraUser = z.infer<typeof JiraUserSchema>;

/** `UserDetails` of /group/member: same core fields as User */
export const JiraUserDetailsSchema = JiraUserSchema.pick({
  accountId: true,
  accountType: true,
  active: true,
  displayName: true,
  emailAddress: true,
  timeZone: true,
  avatarUrls: true,
  self: true,
});
export type JiraUserDetails = z.infer<typeof JiraUserDetailsSchema>;

export function pageBean<T extends z.ZodTypeAny>(item: T) {
  return z.object({
    startAt: z.number().int().nonnegative(),
    maxResults: z.number().int(),
    total: optNum,
    isLast: optBool,
    nextPage: optStr,
    values: z.array(item),
  });
}
export interface PageBean<T> {
  startAt: number;
  /** what Jira actually used (it may lower the requested page size) */
  maxResults: number;
  total?: number;
  isLast?: boolean;
  nextPage?: string;
  values: T[];
}

export const GroupDetailsSchema = z.object({ groupId: str.min(1), name: str });
export type JiraGroup = z.infer<typeof GroupDetailsSchema>;

export const ProjectCategorySchema = z.object({ id: optStr, name: optStr, description: optStr });

export const ProjectSchema = z.object({
  id: str.min(1),
  key: str.min(1),
  name: str,
  projectTypeKey: optStr,
  simplified: optBool,
  style: optStr,
  isPrivate: optBool,
  archived: optBool,
  deleted: optBool,
  description: optStr,
  uuid: optStr,
  lead: JiraUserSchema.partial({ active: true })
    .nullish()
    .transform((v) => v ?? undefined),
  projectCategory: ProjectCategorySchema.nullish().transform((v) => v ?? undefined),
  self: optStr,
});
export type JiraProject = z.infer<typeof ProjectSchema>;

const RoleScopeSchema = z
  .object({
    type: optStr,
    project: z
      .object({ id: optStr, key: optStr, name: optStr })
      .nullish()
      .transform((v) => v ?? undefined),
  })
  .nullish()
  .transform((v) => v ?? undefined);

export const ProjectRoleDetailsSchema = z.object({
  id: z.number().int(),
  name: str,
  description: optStr,
  admin: optBool,
  default: optBool,
  roleConfigurable: optBool,
  translatedName: optStr,
  scope: RoleScopeSchema,
  self: optStr,
});
export type JiraProjectRoleDetails = z.infer<typeof ProjectRoleDetailsSchema>;

export const RoleActorSchema = z.object({
  id: optNum,
  displayName: optStr,
  /** atlassian-user-role-actor | atlassian-group-role-actor */
  type: str,
  name: optStr,
  avatarUrl: optStr,
  actorUser: z
    .object({ accountId: optStr })
    .nullish()
    .transform((v) => v ?? undefined),
  actorGroup: z
    .object({ name: optStr, displayName: optStr, groupId: optStr })
    .nullish()
    .transform((v) => v ?? undefined),
});
export type JiraRoleActor = z.infer<typeof RoleActorSchema>;

export const ProjectRoleSchema = ProjectRoleDetailsSchema.extend({
  currentUserRole: optBool,
  actors: z
    .array(RoleActorSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type JiraProjectRole = z.infer<typeof ProjectRoleSchema>;

const GroupRefSchema = z.object({ name: optStr, groupId: optStr });

export const ApplicationRoleSchema = z.object({
  key: str.min(1),
  name: str,
  groups: z
    .array(str)
    .nullish()
    .transform((v) => v ?? []),
  groupDetails: z
    .array(GroupRefSchema)
    .nullish()
    .transform((v) => v ?? []),
  defaultGroups: z
    .array(str)
    .nullish()
    .transform((v) => v ?? []),
  defaultGroupsDetails: z
    .array(GroupRefSchema)
    .nullish()
    .transform((v) => v ?? []),
  numberOfSeats: optNum,
  remainingSeats: optNum,
  userCount: optNum,
  hasUnlimitedSeats: optBool,
  platform: optBool,
  selectedByDefault: optBool,
});
export type JiraApplicationRole = z.infer<typeof ApplicationRoleSchema>;

export const ServerInfoSchema = z.object({
  baseUrl: optStr,
  displayUrl: optStr,
  version: optStr,
  versionNumbers: z
    .array(z.number())
    .nullish()
    .transform((v) => v ?? undefined),
  buildNumber: optNum,
  deploymentType: optStr,
  serverTitle: optStr,
  serverTime: optStr,
});
export type JiraServerInfo = z.infer<typeof ServerInfoSchema>;

/** A scheme's grant holder: `parameter`/`value` name the role id, group (name / groupId), product key, account id or custom field. */
const PermissionSchemeSchema = z.object({
  id: z.number(),
  name: str,
  description: optStr,
  permissions: z
    .array(
      z.object({
        id: optNum,
        permission: str,
        holder: z
          .object({ type: str, parameter: optStr, value: optStr })
          .nullish()
          .transform((v) => v ?? undefined),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});
export const PermissionSchemesSchema = z.object({ permissionSchemes: z.array(PermissionSchemeSchema) });
export type JiraPermissionScheme = z.infer<typeof PermissionSchemeSchema>;

/** GET /project/{id}/permissionscheme without expand: which scheme the project uses. */
export const ProjectPermissionSchemeSchema = z.object({ id: z.number(), name: optStr });
export type JiraProjectPermissionScheme = z.infer<typeof ProjectPermissionSchemeSchema>;

export const MyPermissionsSchema = z.object({
  permissions: z.record(z.string(), z.object({ key: optStr, havePermission: z.boolean() })),
});

/** GET /permissions: every permission key with its type (GLOBAL or PROJECT). */
export const AllPermissionsSchema = z.object({
  permissions: z.record(z.string(), z.object({ key: optStr, name: optStr, type: optStr, description: optStr })),
});
export type JiraPermissionInfo = { key: string; name: string; type: string; description: string };

/** POST /permissions/check: the global permissions held, and per project permission the projects (ids) it is held in. */
export const BulkPermissionGrantsSchema = z.object({
  globalPermissions: z.array(str),
  projectPermissions: z.array(z.object({ permission: str, projects: z.array(z.number()), issues: z.array(z.number()).optional() })),
});
export type JiraBulkPermissionGrants = z.infer<typeof BulkPermissionGrantsSchema>;

/** GET /auditing/record: one page of audit records (offset/limit; fewer than `limit` ends the list). */
const AuditItemSchema = z.object({ id: optStr, name: optStr, typeName: optStr, parentId: optStr, parentName: optStr });
export const AuditRecordsSchema = z.object({
  offset: z.number().optional(),
  limit: z.number().optional(),
  total: z.number().optional(),
  records: z
    .array(
      z.object({
        id: z.number().optional(),
        summary: optStr,
        category: optStr,
        created: optStr,
        authorAccountId: optStr,
        objectItem: AuditItemSchema.nullish(),
        associatedItems: z.array(AuditItemSchema).nullish(),
        changedValues: z.array(z.object({ fieldName: optStr, changedFrom: optStr, changedTo: optStr })).nullish(),
      }),
    )
    .nullish()
    .transform((v) => v ?? []),
});
export type JiraAuditRecords = z.infer<typeof AuditRecordsSchema>;
export type JiraAuditRecord = JiraAuditRecords['records'][number];

export const TenantInfoSchema = z.object({ cloudId: str.min(1) });

// ---------------------------------------------------------------- OAuth

export const TokenResponseSchema = z.object({
  access_token: str.min(1),
  expires_in: z
    .number()
    .positive()
    .nullish()
    .transform((v) => v ?? undefined),
  token_type: optStr,
  scope: optStr,
  refresh_token: optStr,
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

// ---------------------------------------------------------------- admin API

const linksSchema = z
  .object({ self: optStr, prev: optStr, next: optStr })
  .nullish()
  .transform((v) => ({ self: v?.self, prev: v?.prev, next: v?.next }));

export const OrgSchema = z.object({
  id: str.min(1),
  type: optStr,
  attributes: z
    .object({ name: optStr })
    .nullish()
    .transform((v) => ({ name: v?.name })),
});
export type AdminOrg = z.infer<typeof OrgSchema>;
export const OrgPageSchema = z.object({ data: z.array(OrgSchema), links: linksSchema });

/** GET /v1/orgs/{orgId}/domains: the organization's domains and their verification (claim) status */
export const DomainSchema = z.object({
  id: str.min(1),
  attributes: z
    .object({ name: optStr, claim: z.object({ type: optStr, status: optStr }).nullish() })
    .nullish()
    .transform((v) => ({ name: v?.name, claimType: v?.claim?.type ?? undefined, status: v?.claim?.status ?? undefined })),
});
export type AdminDomain = z.infer<typeof DomainSchema>;
export const DomainPageSchema = z.object({ data: z.array(DomainSchema), links: linksSchema });

/** GET /v1/orgs/{orgId}/policies: the documented policy types are ip-allowlist and data-residency */
export const PolicySchema = z.object({
  id: str.min(1),
  attributes: z
    .object({ type: optStr, name: optStr, status: optStr, resources: z.array(z.object({ id: optStr }).passthrough()).nullish() })
    .nullish()
    .transform((v) => ({ type: v?.type, name: v?.name, status: v?.status, resources: (v?.resources ?? []).length })),
});
export type AdminPolicy = z.infer<typeof PolicySchema>;
export const PolicyPageSchema = z.object({ data: z.array(PolicySchema), links: linksSchema });

export const OrgUserSchema = z.object({
  account_id: str.min(1),
  /** atlassian | customer | app */
  account_type: str,
  /** active | inactive | closed */
  account_status: str,
  name: str,
  picture: optStr,
  nickname: optStr,
  email: optStr,
  access_billable: optBool,
  last_active: optStr,
  product_access: z
    .array(z.object({ key: str, name: optStr, url: optStr, last_active: optStr }))
    .nullish()
    .transform((v) => v ?? []),
});
export type AdminOrgUser = z.infer<typeof OrgUserSchema>;
export const OrgUserPageSchema = z.object({
  data: z.array(OrgUserSchema),
  meta: z
    .object({ total: optNum })
    .nullish()
    .transform((v) => ({ total: v?.total })),
  links: linksSchema,
});

export const LastActiveSchema = z.object({
  data: z.object({
    product_access: z.array(z.object({ id: optStr, key: str, last_active: optStr })),
    added_to_org: optStr,
  }),
  links: linksSchema,
});

export const DirectorySchema = z.object({ directoryId: str.min(1), name: optStr, icon: optStr });
export type AdminDirectory = z.infer<typeof DirectorySchema>;
export const DirectoryPageSchema = z.object({ data: z.array(DirectorySchema), links: linksSchema });

export const DirectoryUserSchema = z.object({
  accountId: str.min(1),
  accountType: optStr,
  /** active | suspended | not_invited | deactivated | for_deletion */
  status: optStr,
  accountStatus: optStr,
  membershipStatus: optStr,
  addedToOrg: optStr,
  name: optStr,
  nickname: optStr,
  email: optStr,
  emailVerified: optBool,
  claimStatus: optStr,
  platformRoles: z
    .array(z.unknown())
    .nullish()
    .transform((v) => v ?? undefined),
  managementSource: optStr,
  mfaEnabled: optBool,
  jobTitle: optStr,
  department: optStr,
  organization: optStr,
  location: optStr,
  timeZone: optStr,
  groups: z
    .array(z.object({ id: str, name: optStr }))
    .nullish()
    .transform((v) => v ?? undefined),
  productAccess: z
    .array(z.unknown())
    .nullish()
    .transform((v) => v ?? undefined),
});
export type AdminDirectoryUser = z.infer<typeof DirectoryUserSchema>;
export const DirectoryUserPageSchema = z.object({ data: z.array(DirectoryUserSchema), links: linksSchema });

export const DirectoryGroupSchema = z.object({
  id: str.min(1),
  name: str,
  description: optStr,
  directoryId: optStr,
  managementAccess: z
    .object({ deletable: optBool, modifiable: optBool, readable: optBool })
    .nullish()
    .transform((v) => v ?? undefined),
  externalSynced: optBool,
  managedBy: optStr,
  counts: z
    .object({ users: optNum, resources: optNum })
    .nullish()
    .transform((v) => v ?? undefined),
});
export type AdminDirectoryGroup = z.infer<typeof DirectoryGroupSchema>;
export const DirectoryGroupPageSchema = z.object({ data: z.array(DirectoryGroupSchema), links: linksSchema });

export const ApiTokenSchema = z.object({ id: str.min(1), label: str, createdAt: str, lastAccess: optStr, expiresAt: optStr });
export type AdminApiToken = z.infer<typeof ApiTokenSchema>;

export const WorkspaceSchema = z.object({
  id: str.min(1),
  type: optStr,
  attributes: z
    .object({ name: optStr, typeKey: optStr, type: optStr, status: optStr, hostUrl: optStr, realm: optStr })
    .nullish()
    .transform((v) => ({ name: v?.name, typeKey: v?.typeKey, type: v?.type, status: v?.status, hostUrl: v?.hostUrl, realm: v?.realm })),
});
export type AdminWorkspace = z.infer<typeof WorkspaceSchema>;
export const WorkspacePageSchema = z.object({
  data: z.array(WorkspaceSchema),
  links: linksSchema,
  meta: z
    .object({ pageSize: optNum, total: optNum })
    .nullish()
    .transform((v) => ({ pageSize: v?.pageSize, total: v?.total })),
});
