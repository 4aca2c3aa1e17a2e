/** The Desk's own rules on top of /ui/ui.css, served at /desk/app.css (CSP allows no inline style). */
export const DESK_STYLE = `.who{font-size:.9rem}.who strong{font-weight:650}
.approval h3{margin:0 0 .2rem}.approval .facts{margin:.5rem 0}.approval .actions{margin-top:.6rem}
.approval .reason{flex:1 1 18rem;min-width:min(100%,17rem)}
.args{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem .8rem;margin:.4rem 0;padding:.5rem .7rem;background:var(--panel);border-radius:6px}
.args dt{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;color:var(--muted)}.args dd{margin:0;white-space:pre-wrap}
.log{list-style:none;padding:0;margin:.4rem 0}.log li{padding:.3rem 0;border-bottom:1px solid var(--line)}
details.server{border:1px solid var(--line);border-radius:8px;margin:.5rem 0;padding:0 .8rem}
details.server>summary{cursor:pointer;padding:.55rem 0;font-weight:600}details.server>summary .muted{font-weight:400}
.caps{list-style:none;padding:0;margin:.2rem 0 .6rem}.caps li{padding:.15rem 0}.caps label{display:flex;gap:.5rem;align-items:baseline}.caps input{min-height:0;margin:0}
.filter{width:100%;max-width:32rem}
.caps .off .name{color:var(--muted);text-decoration:line-through}.caps .name{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
.caps .text{color:var(--muted);font-size:.85rem}`;
