/**
 * The report as one self-contained HTML page: inline CSS and script, the data embedded as JSON,
 * no external asset (fonts, images, scripts), so it can be attached to an audit as a single file.
 * Tables sort by any column, filter by text and by column values, and open a row for details
 * (a person's groups, roles and products with how each was obtained; a project's people).
 */
import type { ReportData } from './report';
import { FINDING_TITLES } from './findings';
import { DECISION_COLUMNS } from './decisions';
import { barChart } from './charts';

const esc = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** JSON safe inside <script>: no "</script>", no HTML comment openers, no JS line separators. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function compact(d: ReportData): unknown {
  // project access as index tuples: the largest table, mostly repeated strings
  const personIdx = new Map(d.people.map((p, i) => [p.accountId, i]));
  const projIdx = new Map(d.projects.map((p, i) => [p.id, i]));
  const strings: string[] = [];
  const sIdx = new Map<string, number>();
  const intern = (s: string) => {
    let i = sIdx.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      sIdx.set(s, i);
    }
    return i;
  };
  const groupIdx = new Map(d.groups.map((g, i) => [g.id, i]));
  // decisions worksheet rows: [0 user / 1 group, index into people / groups, access, entitlement id, 0 direct / 1 inherited, through, gives, since, added_at, added_source]
  const decisions = d.decisions
    .filter((r) => (r.principalType === 'user' ? personIdx.has(r.principalId) : groupIdx.has(r.principalId)))
    .map((r) => [
      r.principalType === 'user' ? 0 : 1,
      r.principalType === 'user' ? personIdx.get(r.principalId)! : groupIdx.get(r.principalId)!,
      intern(r.access),
      intern(r.entitlementId),
      r.kind === 'direct' ? 0 : 1,
      intern(r.through),
      intern(r.gives),
      intern(r.since),
      intern(r.addedAt),
      intern(r.addedSource),
    ]);
  const access = d.projectAccess
    .filter((a) => projIdx.has(a.projectId) && personIdx.has(a.accountId))
    .map((a) => [projIdx.get(a.projectId)!, personIdx.get(a.accountId)!, intern(a.access), intern(a.through)]);
  return {
    meta: d.meta,
    generatedAt: d.generatedAt,
    asOf: d.asOf,
    options: d.options,
    totals: d.totals,
    orgData: d.orgData,
    adminBasis: d.adminBasis,
    people: d.people,
    projects: d.projects,
    products: d.products,
    groups: d.groups,
    signOff: d.signOff,
    trend: d.trend,
    workItems: d.workItems ?? [],
    findings: d.findings,
    findingTitles: FINDING_TITLES,
    access,
    decisions,
    decisionColumns: DECISION_COLUMNS,
    syncId: d.meta.sync_id ?? '',
    strings,
    warnings: d.warnings,
  };
}

const CSS = `
:root{--fg:#1d2433;--muted:#5b6475;--line:#e3e6ec;--bg:#f6f7f9;--card:#fff;--accent:#1f5fbf;--high:#b42318;--high-bg:#fde8e7;--med:#9a5b00;--med-bg:#fff2d6;--low:#35577d;--low-bg:#e6eef8;--ok:#1e7b45;--ok-bg:#e3f4ea}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#16213a;color:#fff;padding:18px 28px 14px}
header h1{margin:0 0 4px;font-size:20px;font-weight:600}
header .sub{color:#c6cee0;font-size:13px}
header .sub b{color:#fff;font-weight:600}
main{padding:18px 28px 40px;max-width:1600px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-bottom:16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .n{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .l{color:var(--muted);font-size:12px}
.card.warn .n{color:var(--high)}
.row2{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin-bottom:16px}
@media (max-width:1000px){.row2{grid-template-columns:1fr}}
.panel{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.panel h2{font-size:14px;margin:0 0 8px}
.mini{width:100%;border-collapse:collapse;font-size:13px}
.mini td,.mini th{padding:3px 6px;border-bottom:1px solid var(--line);text-align:left}
.mini td.num,.mini th.num{text-align:right;font-variant-numeric:tabular-nums}
nav.tabs{display:flex;gap:4px;border-bottom:1px solid var(--line);margin:8px 0 0}
nav.tabs a{padding:8px 14px;text-decoration:none;color:var(--muted);border:1px solid transparent;border-bottom:none;border-radius:6px 6px 0 0;font-weight:550}
nav.tabs a.on{color:var(--fg);background:var(--card);border-color:var(--line);margin-bottom:-1px}
nav.tabs .c{display:inline-block;min-width:20px;padding:0 6px;margin-left:6px;border-radius:10px;background:var(--bg);font-size:12px;text-align:center}
section.tab{display:none;background:var(--card);border:1px solid var(--line);border-top:none;border-radius:0 0 8px 8px;padding:12px 14px}
section.tab.on{display:block}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:10px}
.toolbar input[type=search]{flex:1 1 260px;max-width:420px;padding:6px 10px;border:1px solid #c9ced8;border-radius:6px;font:inherit}
.toolbar select{padding:5px 8px;border:1px solid #c9ced8;border-radius:6px;font:inherit;background:#fff}
.toolbar .count{color:var(--muted);margin-left:auto;font-size:13px}
.toolbar a.csv{font-size:13px;color:var(--accent)}
.tablewrap{overflow:auto;max-height:70vh;border:1px solid var(--line);border-radius:6px}
table.data{border-collapse:collapse;width:100%;font-size:13px}
table.data th{position:sticky;top:0;background:#eef1f5;z-index:1;text-align:left;font-weight:600;padding:0;border-bottom:1px solid #d5dae3;white-space:nowrap}
table.data th button{all:unset;cursor:pointer;display:block;padding:7px 8px;width:100%;box-sizing:border-box}
table.data th button:focus-visible{outline:2px solid var(--accent)}
table.data th[aria-sort=ascending] button::after{content:" ▲";font-size:10px}
table.data th[aria-sort=descending] button::after{content:" ▼";font-size:10px}
table.data td{padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
table.data td.num,table.data th.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts .panel{flex:1 1 420px;overflow-x:auto}
.signoff{margin-top:6px;font-size:13px}
table.data tr.main{cursor:pointer}
table.data tr.main:hover td{background:#f7f9fc}
table.data tr.detail td{background:#fafbfd;padding:10px 14px 14px}
.small{color:var(--muted);font-size:12px}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11.5px;font-weight:600;white-space:nowrap;margin:1px 2px 1px 0}
.b-high{background:var(--high-bg);color:var(--high)}
.b-medium{background:var(--med-bg);color:var(--med)}
.b-low{background:var(--low-bg);color:var(--low)}
.b-ok{background:var(--ok-bg);color:var(--ok)}
.b-off{background:#eceef2;color:#555e6e}
.more{margin-top:8px}
.more button{padding:6px 12px;border:1px solid #c9ced8;border-radius:6px;background:#fff;font:inherit;cursor:pointer}
.detailgrid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:10px 24px}
.detailgrid h3{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 4px}
.detailgrid ul{margin:0;padding-left:18px}
.detailgrid li{margin:1px 0}
.via{color:var(--muted)}
.note{color:var(--muted);font-size:12.5px;margin:6px 0 0}
.empty{padding:16px;color:var(--muted)}
footer{color:var(--muted);font-size:12px;padding:0 28px 24px}
@media print{header{background:none;color:#000}nav.tabs,.toolbar,.more{display:none}section.tab{display:block!important;border:none}.tablewrap{max-height:none;overflow:visible}}
`;

const SCRIPT = String.raw`
(function(){
'use strict';
var D = JSON.parse(document.getElementById('report-data').textContent);
function esc(s){return String(s==null?'':s).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
function badge(text,cls){return '<span class="badge '+cls+'">'+esc(text)+'</span>';}
var SEV={high:0,medium:1,low:2};
var FT=D.findingTitles;
var SHORT={'external-admin':'external admin','inactive-licensed':'inactive, licensed','app-broad-access':'broad app access','hidden-email':'email hidden'};
function findingBadge(k,short){var s={'external-admin':'high','open-project':'high','inactive-licensed':'medium','app-broad-access':'medium','hidden-email':'low'}[k]||'low';return short?'<span title="'+esc(FT[k]||k)+'">'+badge(SHORT[k]||k,'b-'+s)+'</span>':badge(FT[k]||k,'b-'+s);}
function status(active){return active?badge('active','b-ok'):badge('inactive','b-off');}
function list(items,fmt){if(!items.length)return '<span class="small">none</span>';return '<ul>'+items.map(fmt).join('')+'</ul>';}
function viaText(v){return v.through.join('; ');}

// a sortable, filterable table
function makeTable(host,cfg){
  var state={q:'',sort:cfg.sort||null,dir:cfg.dir||1,limit:cfg.page||200,filters:{},open:{}};
  var rows=cfg.rows;
  var bar=document.createElement('div');bar.className='toolbar';
  var q=document.createElement('input');q.type='search';q.placeholder=cfg.placeholder||'Filter…';q.setAttribute('aria-label','Filter '+cfg.name);
  bar.appendChild(q);
  cfg.columns.forEach(function(c,ci){
    if(!c.select)return;
    var vals={};rows.forEach(function(r){[].concat(c.select(r)).forEach(function(v){vals[v]=(vals[v]||0)+1;});});
    var s=document.createElement('select');s.setAttribute('aria-label',c.label);s.dataset.col=ci;
    s.innerHTML='<option value="">'+esc(c.label)+': all</option>'+Object.keys(vals).sort().map(function(v){return '<option value="'+esc(v)+'">'+esc(v)+' ('+vals[v]+')</option>';}).join('');
    s.addEventListener('change',function(){state.filters[ci]=s.value;state.limit=cfg.page||200;render();});
    bar.appendChild(s);
  });
  var count=document.createElement('span');count.className='count';bar.appendChild(count);
  if(cfg.csv){var a=document.createElement('a');a.className='csv';a.href=cfg.csv;a.textContent=cfg.csv;bar.appendChild(a);}
  host.appendChild(bar);
  var wrap=document.createElement('div');wrap.className='tablewrap';
  var t=document.createElement('table');t.className='data';t.id=cfg.id;
  var head='<thead><tr>'+cfg.columns.map(function(c,i){return '<th'+(c.num?' class="num"':'')+' data-col="'+i+'"><button type="button">'+esc(c.label)+'</button></th>';}).join('')+'</tr></thead>';
  t.innerHTML=head+'<tbody></tbody>';
  wrap.appendChild(t);host.appendChild(wrap);
  var more=document.createElement('div');more.className='more';host.appendChild(more);
  var tb=t.tBodies[0];
  var text=rows.map(function(r){return cfg.columns.map(function(c){return String(c.text?c.text(r):c.value(r));}).join('\u0001').toLowerCase();});
  q.addEventListener('input',function(){state.q=q.value.trim().toLowerCase();state.limit=cfg.page||200;render();});
  t.tHead.addEventListener('click',function(e){var th=e.target.closest('th');if(!th)return;var ci=+th.dataset.col;if(state.sort===ci)state.dir=-state.dir;else{state.sort=ci;state.dir=cfg.columns[ci].num?-1:1;}render();});
  tb.addEventListener('click',function(e){var tr=e.target.closest('tr.main');if(!tr||!cfg.detail)return;var i=+tr.dataset.i;state.open[i]=!state.open[i];render();});
  function cmp(a,b){if(a===b)return 0;if(typeof a==='number'&&typeof b==='number')return a-b;return String(a).localeCompare(String(b));}
  function render(){
    var idx=[];
    for(var i=0;i<rows.length;i++){
      if(state.q&&text[i].indexOf(state.q)<0)continue;
      var ok=true;
      for(var k in state.filters){var v=state.filters[k];if(!v)continue;if([].concat(cfg.columns[k].select(rows[i])).indexOf(v)<0){ok=false;break;}}
      if(ok)idx.push(i);
    }
    if(state.sort!==null){var c=cfg.columns[state.sort];idx.sort(function(a,b){var va=c.value(rows[a]),vb=c.value(rows[b]);var ea=va===''||va==null,eb=vb===''||vb==null;if(ea||eb)return ea&&eb?a-b:ea?1:-1;var r=cmp(va,vb);return r===0?a-b:(r<0?-1:1)*state.dir;});}
    [].forEach.call(t.tHead.rows[0].cells,function(th,i){th.setAttribute('aria-sort',state.sort===i?(state.dir>0?'ascending':'descending'):'none');});
    var html=[];var n=Math.min(idx.length,state.limit);
    for(var j=0;j<n;j++){
      var r=rows[idx[j]];
      html.push('<tr class="main" data-i="'+idx[j]+'">'+cfg.columns.map(function(c){return '<td'+(c.num?' class="num"':'')+'>'+(c.html?c.html(r):esc(c.value(r)))+'</td>';}).join('')+'</tr>');
      if(state.open[idx[j]]&&cfg.detail)html.push('<tr class="detail"><td colspan="'+cfg.columns.length+'">'+cfg.detail(r)+'</td></tr>');
    }
    if(!idx.length)html.push('<tr><td class="empty" colspan="'+cfg.columns.length+'">Nothing matches.</td></tr>');
    tb.innerHTML=html.join('');
    count.textContent=(idx.length===rows.length?rows.length+' rows':idx.length+' of '+rows.length+' rows')+(n<idx.length?', showing '+n:'');
    more.innerHTML=n<idx.length?'<button type="button">Show '+Math.min(idx.length-n,1000)+' more</button>':'';
    if(n<idx.length)more.firstChild.addEventListener('click',function(){state.limit+=1000;render();});
  }
  render();
  return {render:render};
}

var P=D.people;
var byId={};P.forEach(function(p){byId[p.accountId]=p;});
var projAccess={};D.access.forEach(function(a){(projAccess[a[0]]=projAccess[a[0]]||[]).push(a);});

function personDetail(p){
  return '<div class="detailgrid">'+
   '<div><h3>Account</h3><div class="mono">'+esc(p.accountId)+'</div><div>'+esc(p.accountType)+(p.siteAccess?'':' · no Jira site access')+'</div>'+
   (p.lastActive?'<div>Last active '+esc(p.lastActive.slice(0,10))+(p.daysInactive!=null?' ('+p.daysInactive+' days before '+D.asOf.slice(0,10)+')':'')+'</div>':'')+
   (p.lastIssueActivity?'<div>Last issue activity '+esc(p.lastIssueActivity.slice(0,10))+'</div>':'')+
   (p.openItemsAssigned!=null?'<div>Open work items assigned: '+p.openItemsAssigned+'</div>':'')+
   (p.addedToOrg?'<div>Added to the organization '+esc(p.addedToOrg.slice(0,10))+'</div>':'')+
   (p.since?'<div>Seen since '+esc(p.since.slice(0,10))+(p.firstSeen&&p.firstSeen!==p.since?' (first seen '+esc(p.firstSeen.slice(0,10))+')':'')+'</div>':'')+
   (p.apiTokens!=null?'<div>'+p.apiTokens+' API token'+(p.apiTokens===1?'':'s')+'</div>':'')+
   (p.adminAccess.length?'<div><b>'+(D.adminBasis==='permissions'?'Administrative access':'Admin-like (by name)')+':</b><ul>'+p.adminAccess.map(function(a){return '<li>'+esc(a)+'</li>';}).join('')+'</ul></div>':'')+(D.adminBasis==='permissions'?'<div>Can browse '+p.browses+' project'+(p.browses===1?'':'s')+'</div>':'')+'</div>'+
   '<div><h3>Product seats ('+p.products.length+')</h3>'+list(p.products,function(v){return '<li>'+esc(v.what)+' <span class="via">via '+esc(viaText(v))+'</span></li>';})+'</div>'+
   '<div><h3>Groups ('+p.groups.length+')</h3>'+list(p.groups,function(g){return '<li>'+esc(g)+(p.groupsAdded&&p.groupsAdded[g]?' <span class="via">added '+esc(p.groupsAdded[g])+'</span>':'')+'</li>';})+'</div>'+
   '<div><h3>Project roles ('+p.roles.length+')</h3>'+list(p.roles,function(v){return '<li>'+esc(v.what)+' <span class="via">'+esc(viaText(v))+(v.added?', added '+esc(v.added):'')+'</span></li>';})+
   (p.leads.length?'<div class="note">Lead of '+esc(p.leads.join(', '))+'</div>':'')+'</div></div>';
}
var projShown={};
document.addEventListener('click',function(e){var b=e.target.closest&&e.target.closest('button[data-proj-more]');if(!b)return;e.stopPropagation();var i=+b.dataset.projMore;projShown[i]=(projShown[i]||500)+1000;if(made.projects)made.projects.render();});
function projectDetail(pr){
  var i=D.projects.indexOf(pr);var rows=(projAccess[i]||[]).slice().sort(function(a,b){return P[a[1]].name.localeCompare(P[b[1]].name)||a[2]-b[2];});
  var roles='<ul>'+pr.roles.map(function(r){return '<li>'+esc(r.role)+': '+r.people+' ('+r.direct+' direct, '+r.throughGroups+' through groups)</li>';}).join('')+'</ul>'+
   (pr.scheme?'<h3>Permissions</h3><div class="small">Scheme: '+esc(pr.scheme)+'</div><ul>'+pr.permissions.map(function(x){return '<li>'+esc(x.key)+': '+x.people+' people</li>';}).join('')+'</ul>'+
   (pr.openToAnyone.length?'<div>'+badge('open to anyone','b-high')+' '+esc(pr.openToAnyone.join(', '))+'</div>':'')+
   (pr.conditional.length?'<div class="note">Issue-level access: '+esc(pr.conditional.join(', '))+'</div>':''):'');
  var people='<table class="mini"><thead><tr><th>Person</th><th>Status</th><th>Access</th><th>Through</th></tr></thead><tbody>'+rows.slice(0,projShown[i]||500).map(function(a){var p=P[a[1]];return '<tr><td>'+esc(p.name)+'</td><td>'+status(p.active)+'</td><td>'+esc(D.strings[a[2]])+'</td><td>'+esc(D.strings[a[3]])+'</td></tr>';}).join('')+'</tbody></table>'+(rows.length>(projShown[i]||500)?'<div class="more"><button type="button" data-proj-more="'+i+'">Show '+Math.min(rows.length-(projShown[i]||500),1000)+' more of '+rows.length+'</button></div>':'');
  return '<div class="detailgrid"><div><h3>Roles</h3>'+roles+'</div><div style="grid-column:span 2"><h3>People ('+pr.people+')</h3>'+people+'</div></div>';
}

var tables={
  findings:{id:'findings-table',name:'findings',csv:'findings.csv',rows:D.findings,sort:0,placeholder:'Filter findings by name, email, detail…',columns:[
    {label:'Severity',value:function(f){return SEV[f.severity];},text:function(f){return f.severity;},html:function(f){return badge(f.severity,'b-'+f.severity);},select:function(f){return f.severity;}},
    {label:'Finding',value:function(f){return FT[f.kind];},html:function(f){return findingBadge(f.kind);},select:function(f){return FT[f.kind];}},
    {label:'Person',value:function(f){return f.name;},html:function(f){return esc(f.name)+'<div class="small mono">'+esc(f.accountId)+'</div>';},text:function(f){return f.name+' '+f.accountId;}},
    {label:'Email',value:function(f){return f.email;}},
    {label:'Detail',value:function(f){return f.detail;}}]},
  people:{id:'people-table',name:'people',csv:'people.csv',rows:P,sort:0,placeholder:'Filter people by name, email, group, role, project…',detail:personDetail,columns:[
    {label:'Name',value:function(p){return p.name;},html:function(p){return esc(p.name)+'<div class="small mono">'+esc(p.accountId)+'</div>';},text:function(p){return p.name+' '+p.accountId+' '+p.groups.join(' ')+' '+p.projects.join(' ');}},
    {label:'Type',value:function(p){return p.accountType;},select:function(p){return p.accountType;}},
    {label:'Status',value:function(p){return p.active?'active':'inactive';},html:function(p){return status(p.active)+(p.siteAccess?'':badge('no Jira access','b-off'));},select:function(p){return p.siteAccess?[p.active?'active':'inactive']:[p.active?'active':'inactive','no Jira access'];}},
    {label:'Email',value:function(p){return p.email;},html:function(p){return (p.email?esc(p.email):'')+(p.emailVisibility!=='visible'?' '+badge('hidden','b-low'):'');},select:function(p){return p.emailVisibility==='visible'?'visible':'hidden';}},
    {label:'Managed',value:function(p){return p.managed;},select:function(p){return p.managed;}},
    {label:'Last active',value:function(p){return p.lastActive?p.lastActive.slice(0,10):'';}},
    {label:'Seats',num:true,value:function(p){return p.products.length;},html:function(p){return p.products.length?'<span title="'+esc(p.products.map(function(v){return v.what;}).join(', '))+'">'+p.products.length+'</span>':'0';},text:function(p){return p.products.map(function(v){return v.what;}).join(' ');},select:function(p){return p.products.length?p.products.map(function(v){return v.what;}):['no seat'];}},
    {label:'Groups',num:true,value:function(p){return p.groups.length;}},
    {label:'Projects',num:true,value:function(p){return p.projects.length;}},
    {label:'Roles',num:true,value:function(p){return p.roles.length;}},
    {label:'Findings',value:function(p){return p.findings.length?p.findings.map(function(k){return FT[k];}).join(', '):'';},html:function(p){return p.findings.map(function(k){return findingBadge(k,true);}).join('');},select:function(p){return p.findings.length?p.findings.map(function(k){return FT[k];}):['none'];}}]},
  projects:{id:'projects-table',name:'projects',csv:'projects.csv',rows:D.projects,sort:0,placeholder:'Filter projects by key, name, lead…',detail:projectDetail,columns:[
    {label:'Key',value:function(p){return p.key;},html:function(p){return '<b>'+esc(p.key)+'</b>';}},
    {label:'Name',value:function(p){return p.name;}},
    {label:'Lead',value:function(p){return p.lead;}},
    {label:'People',num:true,value:function(p){return p.people;}},
    {label:'Direct',num:true,value:function(p){return p.direct;}},
    {label:'Through groups',num:true,value:function(p){return p.throughGroups;}},
    {label:'Inactive',num:true,value:function(p){return p.inactive;}},
    {label:'Can administer',num:true,value:function(p){var x=p.permissions.filter(function(q){return q.key==='ADMINISTER_PROJECTS';})[0];return x?x.people:'';}},
    {label:'Open to anyone',value:function(p){return p.openToAnyone.length?'yes':'';},html:function(p){return p.openToAnyone.length?badge('anyone','b-high'):'';},select:function(p){return p.openToAnyone.length?'open to anyone':'not open';}}]},
  access:{id:'access-table',name:'project access',csv:'project-access.csv',rows:D.access,sort:0,placeholder:'Filter by project, person, role, group…',columns:[
    {label:'Project',value:function(a){return D.projects[a[0]].key;},select:function(a){return D.projects[a[0]].key;}},
    {label:'Person',value:function(a){return P[a[1]].name;},text:function(a){return P[a[1]].name+' '+P[a[1]].email;}},
    {label:'Status',value:function(a){return P[a[1]].active?'active':'inactive';},html:function(a){return status(P[a[1]].active);},select:function(a){return P[a[1]].active?'active':'inactive';}},
    {label:'Access',value:function(a){return D.strings[a[2]];},select:function(a){return D.strings[a[2]];}},
    {label:'Through',value:function(a){return D.strings[a[3]];},select:function(a){return D.strings[a[3]]==='direct'?'direct':'through a group';}}]}
};
function groupDetail(g){return '<div class="detailgrid"><div><h3>Products ('+g.products.length+')</h3>'+list(g.products,function(x){return '<li>'+esc(x)+'</li>';})+'</div><div><h3>Project roles ('+g.roles.length+')</h3>'+list(g.roles,function(x){return '<li>'+esc(x)+'</li>';})+'</div><div><h3>Permissions by scheme ('+g.permissions.length+')</h3>'+list(g.permissions,function(x){return '<li>'+esc(x)+'</li>';})+'</div><div><h3>Administration roles ('+g.adminRoles.length+')</h3>'+list(g.adminRoles,function(x){return '<li>'+esc(x)+'</li>';})+'</div></div>';}
tables.groups={id:'groups-table',name:'groups',rows:D.groups,sort:0,placeholder:'Filter groups by name…',detail:groupDetail,columns:[
  {label:'Group',value:function(g){return g.name;},html:function(g){return esc(g.name)+'<div class="small mono">'+esc(g.id)+'</div>';},text:function(g){return g.name+' '+g.id;}},
  {label:'Members',num:true,value:function(g){return g.members;}},
  {label:'Inactive',num:true,value:function(g){return g.inactive;}},
  {label:'Products',value:function(g){return g.products.join(', ');},select:function(g){return g.products.length?g.products:['no product'];}},
  {label:'Project roles',num:true,value:function(g){return g.roles.length;}},
  {label:'Permissions',num:true,value:function(g){return g.permissions.length;}},
  {label:'Admin roles',value:function(g){return g.adminRoles.join(', ');},select:function(g){return g.adminRoles.length?g.adminRoles:['none'];}}]};
// the decisions worksheet: keep / revoke and a comment per row, kept in this browser (localStorage) and exported as decisions.csv
var DEC_KEY='jira-review-decisions:'+D.syncId;
var dec={};try{dec=JSON.parse(localStorage.getItem(DEC_KEY)||'{}')||{};}catch(e){dec={};}
function saveDec(){try{localStorage.setItem(DEC_KEY,JSON.stringify(dec));}catch(e){}}
function decWho(r){return r[0]===0?P[r[1]]:D.groups[r[1]];}
function decPid(r){return r[0]===0?P[r[1]].accountId:D.groups[r[1]].id;}
function decId(r){return D.strings[r[3]]+':'+(r[0]===0?'user':'group')+':'+decPid(r);}
function decOf(r){return dec[decId(r)]||{};}
function csvCell(v){var s=v==null?'':String(v);if(/^[=+\-@\t\r]/.test(s))s="'"+s;return /[",\r\n;]/.test(s)||s!==s.trim()?'"'+s.replace(/"/g,'""')+'"':s;}
function decisionsCsv(reviewer){
  var lines=[D.decisionColumns.map(csvCell).join(',')];
  D.decisions.forEach(function(r){var w=decWho(r);var x=decOf(r);
    lines.push([decId(r),D.syncId,r[0]===0?'user':'group',decPid(r),w.name,r[0]===0?w.email:'',D.strings[r[2]],D.strings[r[3]],r[4]===0?'direct':'inherited',D.strings[r[7]],D.strings[r[8]]||'',D.strings[r[9]]||'',D.strings[r[5]],D.strings[r[6]],x.d||'',x.d?(x.by||reviewer||''):'',x.c||''].map(csvCell).join(','));});
  return '\ufeff'+lines.join('\r\n')+'\r\n';
}
window.jiraReview={decisionsCsv:function(){return decisionsCsv(reviewerInput()?reviewerInput().value:'');}};
function reviewerInput(){return document.getElementById('reviewer');}
function decCounts(){var k=0,v=0;for(var id in dec){if(dec[id].d==='keep')k++;else if(dec[id].d==='revoke')v++;}var el=document.getElementById('decision-counts');if(el)el.textContent=v+' revoke, '+k+' keep, '+(D.decisions.length-k-v)+' undecided';}
tables.decisions={id:'decisions-table',name:'decisions',rows:D.decisions,sort:0,placeholder:'Filter by person, group, access, path…',columns:[
  {label:'Who',value:function(r){return decWho(r).name;},html:function(r){return esc(decWho(r).name)+'<div class="small mono">'+esc(decPid(r))+'</div>';},text:function(r){return decWho(r).name+' '+decPid(r)+' '+(r[0]===0?decWho(r).email:'');}},
  {label:'Type',value:function(r){return r[0]===0?'user':'group';},select:function(r){return r[0]===0?'user':'group';}},
  {label:'Access',value:function(r){return D.strings[r[2]];}},
  {label:'Kind',value:function(r){return r[4]===0?'direct':'inherited';},select:function(r){return r[4]===0?'direct':'inherited';}},
  D.trend.length?{label:'Since',value:function(r){return D.strings[r[7]].slice(0,10);}}:null,
  D.decisions.some(function(r){return D.strings[r[8]];})?{label:'Added',value:function(r){return (D.strings[r[8]]||'').slice(0,10);},html:function(r){var a=D.strings[r[8]]||'';return a?esc(a.slice(0,10))+'<div class="small">'+esc(D.strings[r[9]]||'')+'</div>':'';}}:null,
  {label:'Through',value:function(r){return D.strings[r[5]];}},
  {label:'Gives',value:function(r){return D.strings[r[6]];},html:function(r){return '<span class="small">'+esc(D.strings[r[6]])+'</span>';}},
  {label:'Decision',value:function(r){return decOf(r).d||'';},html:function(r){var d=decOf(r).d||'';return '<select data-dec="'+esc(decId(r))+'" aria-label="decision">'+['','keep','revoke'].map(function(v){return '<option value="'+v+'"'+(v===d?' selected':'')+'>'+(v||'–')+'</option>';}).join('')+'</select>'+(r[4]===1&&d==='revoke'?'<div class="small">inherited: remediate will refuse it and name what to change</div>':'');},select:function(r){return decOf(r).d||'undecided';}},
  {label:'Comment',value:function(r){return decOf(r).c||'';},html:function(r){return '<input type="text" data-com="'+esc(decId(r))+'" value="'+esc(decOf(r).c||'')+'" aria-label="comment">';}}]};
tables.decisions.columns=tables.decisions.columns.filter(Boolean);
// work items (BATON_JIRA_WORK_ITEMS): a tab only when the snapshot has them
if(D.workItems&&D.workItems.length){
  tables['work-items']={id:'work-items-table',name:'work items',csv:'work-items.csv',rows:D.workItems,sort:0,placeholder:'Filter by project or status…',columns:[
    {label:'Project',value:function(w){return w.projectKey;},select:function(w){return w.projectKey;}},
    {label:'Status',value:function(w){return w.status;},select:function(w){return w.status;}},
    {label:'Category',value:function(w){return w.category;},select:function(w){return w.category;}},
    {label:'Work items',num:true,value:function(w){return w.items;}},
    {label:'Unassigned',num:true,value:function(w){return w.unassigned;}},
    {label:'Open, assigned to an inactive account',num:true,value:function(w){return w.openAssignedToInactive;}}]};
  var wiTab=document.createElement('a');wiTab.href='#work-items';wiTab.dataset.tab='work-items';wiTab.setAttribute('role','tab');wiTab.innerHTML='Work items<span class="c">'+D.workItems.reduce(function(n,w){return n+w.items;},0)+'</span>';
  document.querySelector('nav.tabs').appendChild(wiTab);
  var wiSec=document.createElement('section');wiSec.className='tab';wiSec.id='tab-work-items';wiSec.setAttribute('role','tabpanel');
  wiSec.innerHTML='<div id="host-work-items"></div><p class="note">Work items per project and status. Open items assigned to a deactivated or suspended account are also findings.</p>';
  document.getElementById('tab-decisions').after(wiSec);
}
var made={};
function show(name){
  if(!tables[name])name='findings';
  [].forEach.call(document.querySelectorAll('nav.tabs a'),function(a){a.classList.toggle('on',a.dataset.tab===name);a.setAttribute('aria-selected',a.dataset.tab===name);});
  [].forEach.call(document.querySelectorAll('section.tab'),function(s){s.classList.toggle('on',s.id==='tab-'+name);});
  if(!made[name]){made[name]=makeTable(document.getElementById('host-'+name),tables[name]);}
  if(name==='decisions')decCounts();
}
(function(){
  var host=document.getElementById('host-decisions');if(!host)return;
  host.addEventListener('change',function(e){var el=e.target;var id=el.dataset.dec||el.dataset.com;if(!id)return;var x=dec[id]||{};
    if(el.dataset.dec){x.d=el.value;x.by=reviewerInput().value||x.by||'';}else x.c=el.value;
    if(!x.d&&!x.c)delete dec[id];else dec[id]=x;saveDec();decCounts();});
  document.getElementById('export-decisions').addEventListener('click',function(){
    var blob=new Blob([window.jiraReview.decisionsCsv()],{type:'text/csv'});var a=document.createElement('a');a.href=URL.createObjectURL(blob);a.download='decisions.csv';document.body.appendChild(a);a.click();setTimeout(function(){URL.revokeObjectURL(a.href);a.remove();},1000);});
  var rv=reviewerInput();try{rv.value=localStorage.getItem('jira-review-reviewer')||'';}catch(e){}
  rv.addEventListener('change',function(){try{localStorage.setItem('jira-review-reviewer',rv.value);}catch(e){}});
})();
document.querySelector('nav.tabs').addEventListener('click',function(e){var a=e.target.closest('a');if(!a)return;e.preventDefault();history.replaceState(null,'','#'+a.dataset.tab);show(a.dataset.tab);});
window.addEventListener('hashchange',function(){show(location.hash.slice(1));});
show(location.hash.slice(1)||'findings');
document.body.dataset.ready='1';
})();
`;

/** The pictures above the tabs: seats per product, access per project (the 15 with most people), findings by kind. */
function charts(d: ReportData): string {
  const seats = barChart(
    'Product seats',
    d.products.map((p) => ({ label: p.name, parts: [p.active, p.inactive], title: `${p.name}: ${p.active} active, ${p.inactive} inactive` })),
    { legend: ['active', 'inactive'], id: 'chart-seats' },
  );
  const top = [...d.projects].sort((a, b) => b.people - a.people || a.key.localeCompare(b.key)).slice(0, 15);
  const projects = barChart(
    `Access per project${d.projects.length > top.length ? ` (the ${top.length} with most people)` : ''}`,
    top.map((p) => ({
      label: p.key,
      parts: [p.people - p.throughGroups, p.throughGroups],
      title: `${p.key}: ${p.people} people, ${p.direct} holding a role directly, ${p.throughGroups} through groups`,
    })),
    { legend: ['direct or lead only', 'through groups'], id: 'chart-projects' },
  );
  const kinds = Object.keys(FINDING_TITLES) as (keyof typeof FINDING_TITLES)[];
  const findings = barChart(
    'Findings by kind',
    kinds.map((k) => ({ label: FINDING_TITLES[k], parts: [d.totals[`findings:${k}`] ?? 0] })),
    { id: 'chart-findings' },
  );
  const out = [seats, projects, findings];
  if (d.trend.length > 1) {
    const recent = d.trend.slice(-12);
    out.push(
      barChart(
        'Accounts across reviews',
        recent.map((x) => ({ label: x.finishedAt.slice(0, 16).replace('T', ' '), parts: [x.people] })),
        { id: 'chart-trend-accounts' },
      ),
    );
    out.push(
      barChart(
        'Findings across reviews',
        recent.map((x) => ({ label: x.finishedAt.slice(0, 16).replace('T', ' '), parts: [x.findings ?? 0], title: x.findings === undefined ? 'no report made with this history' : undefined })),
        { id: 'chart-trend-findings' },
      ),
    );
  }
  return out.map((svg) => `<div class="panel">${svg}</div>`).join('');
}

export function renderHtml(d: ReportData): string {
  const m = d.meta;
  const t = d.totals;
  const when = (iso?: string) =>
    iso
      ? iso
          .replace('T', ' ')
          .replace(/\.\d+Z$/, ' UTC')
          .replace(/Z$/, ' UTC')
      : 'unknown';
  const card = (n: number, label: string, id: string, warn = false) =>
    `<div class="card${warn && n > 0 ? ' warn' : ''}"><div class="n" id="total-${id}">${n.toLocaleString('en-US')}</div><div class="l">${esc(label)}</div></div>`;
  const findingRows = (Object.keys(FINDING_TITLES) as (keyof typeof FINDING_TITLES)[])
    .map((k) => `<tr><td>${esc(FINDING_TITLES[k])}</td><td class="num" id="finding-count-${k}">${t[`findings:${k}`] ?? 0}</td></tr>`)
    .join('');
  const productRows = d.products.map((p) => `<tr><td>${esc(p.name)}</td><td class="num">${p.holders}</td><td class="num">${p.active}</td><td class="num">${p.inactive}</td></tr>`).join('');
  const orgNote = d.orgData
    ? ''
    : '<p class="note">No organization data in this snapshot: managed/external status and last-active dates are unknown, so "external with admin-like access" and inactivity by date cannot be evaluated. Sync with <code>--atlassian-orgid</code> and <code>--atlassian-api-token</code> to include them.</p>';
  const warn = d.warnings.length ? `<p class="note">The sync reported ${d.warnings.length} warning(s): ${esc(d.warnings.slice(0, 3).join('; '))}${d.warnings.length > 3 ? '…' : ''}</p>` : '';
  const tab = (id: string, label: string, n: number) => `<a href="#${id}" data-tab="${id}" role="tab">${esc(label)}<span class="c">${n.toLocaleString('en-US')}</span></a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>Jira access review · ${esc(m.source ?? '')} · ${esc(when(m.finished_at))}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Jira access review</h1>
<div class="sub">Source <b>${esc(m.source ?? 'unknown')}</b> · snapshot <b id="snapshot-time">${esc(when(m.finished_at))}</b>${d.asOf !== m.finished_at ? ` · inactivity as of <b>${esc(d.asOf.slice(0, 10))}</b>` : ''} · sync <span class="mono">${esc(m.sync_id ?? '')}</span>${m.connector ? ` · ${esc(m.connector)}` : ''}${m.resumes && m.resumes !== '0' ? ` · resumed ${esc(m.resumes)}×` : ''}</div>
${d.signOff.campaign || d.signOff.reviewer ? `<div class="sub signoff" id="signoff">${d.signOff.campaign ? `Campaign <b>${esc(d.signOff.campaign)}</b> · ` : ''}${d.signOff.reviewer ? `reviewer <b>${esc(d.signOff.reviewer)}</b> · ` : ''}report of ${esc(d.generatedAt.slice(0, 10))}</div>` : ''}
</header>
<main>
<div class="cards">
${card(t.people, 'people (accounts)', 'people')}
${card(t.active, 'active', 'active')}
${card(t.inactive, 'inactive', 'inactive')}
${card(t.licensed, 'with a product seat', 'licensed')}
${card(t.groups, 'groups', 'groups')}
${card(t.projects, 'projects', 'projects')}
${card(t.roles, 'project roles', 'roles')}
${card(t.findings, 'findings', 'findings', true)}
</div>
<div class="row2">
<div class="panel"><h2>Findings</h2><table class="mini"><tbody>${findingRows}</tbody></table>
<p class="note">Inactive: deactivated, or last active ${d.options.inactiveDays}+ days before ${esc(d.asOf.slice(0, 10))}. ${
    d.adminBasis === 'permissions'
      ? 'Administrative access: ADMINISTER_PROJECTS from each project’s permission scheme, administration roles and Jira’s global administration permissions where synced, each with its path.'
      : `Admin-like (no project permissions in this snapshot): groups, roles or products whose name matches /${esc(d.options.adminPattern)}/i.`
  } Broad: administrative access, or roles in ${d.options.broadProjects}+ projects.</p>${orgNote}</div>
<div class="panel"><h2>Product seats</h2><table class="mini"><thead><tr><th>Product</th><th class="num">holders</th><th class="num">active</th><th class="num">inactive</th></tr></thead><tbody>${productRows}</tbody></table>
<p class="note">Accounts: ${t.atlassian} people, ${t.app} apps, ${t.customer} customers; ${t.hiddenEmail} with a hidden email${d.orgData ? `; ${t.managed} managed, ${t.external} external` : ''}. Grants: ${t.grantsDirect.toLocaleString('en-US')} direct, ${t.grantsExpanded.toLocaleString('en-US')} through groups and roles.</p>${warn}</div>
</div>
<div class="charts">${charts(d)}</div>
<nav class="tabs" role="tablist">${tab('findings', 'Findings', t.findings)}${tab('people', 'People', t.people)}${tab('projects', 'Projects', t.projects)}${tab('access', 'Project access', d.projectAccess.length)}${tab('groups', 'Groups', d.groups.length)}${tab('decisions', 'Decisions', d.decisions.length)}</nav>
<section class="tab" id="tab-findings" role="tabpanel"><div id="host-findings"></div></section>
<section class="tab" id="tab-people" role="tabpanel"><div id="host-people"></div><p class="note">Click a person for their groups, product seats and project roles, and how each was obtained.</p></section>
<section class="tab" id="tab-projects" role="tabpanel"><div id="host-projects"></div><p class="note">Click a project for its roles and people. People = anyone holding a role (directly or through a group) or leading the project.</p></section>
<section class="tab" id="tab-access" role="tabpanel"><div id="host-access"></div></section>
<section class="tab" id="tab-groups" role="tabpanel"><div id="host-groups"></div><p class="note">Click a group for the products, project roles and permissions it gives its members.</p></section>
<section class="tab" id="tab-decisions" role="tabpanel"><div class="toolbar"><label>Reviewer <input type="text" id="reviewer" placeholder="your name or email" aria-label="reviewer"></label> <button type="button" id="export-decisions">Export decisions.csv</button> <span class="count" id="decision-counts"></span></div><p class="note">One row per reviewable access: set keep or revoke (and a comment), then export the worksheet and run <code>jira-connector remediate &lt;snapshot&gt; decisions.csv</code>. Decisions stay in this browser until exported; an inherited row is refused by remediate, which names the group or role to change instead.</p><div id="host-decisions"></div></section>
<noscript><p>The tables need JavaScript; the same data is in the CSV files beside this page.</p></noscript>
</main>
<footer>Generated ${esc(when(d.generatedAt))} by ${esc(m.tool ?? 'jira-connector')} from a snapshot of ${esc(m.source ?? '')}. CSV files beside this page: people.csv, projects.csv, project-access.csv, findings.csv, access.csv, decisions.csv; summary.txt.</footer>
<script type="application/json" id="report-data">${scriptJson(compact(d))}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
