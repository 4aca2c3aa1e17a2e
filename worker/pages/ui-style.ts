/**
 * The shared stylesheet of the gateway's pages, served at /ui/ui.css (CSP allows no inline style). Colours
 * are variables with a dark set under prefers-color-scheme; text pairs keep a contrast of at least 4.5:1
 * against their background; every control shows its keyboard focus; below 40rem forms and tables stack.
 */
export const UI_STYLE = `:root{--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--panel:#f6f8fa;--accent:#0550ae;--accent-fg:#ffffff;
--ok:#1a7f37;--ok-bg:#dafbe1;--warn:#7d4e00;--warn-bg:#fff8c5;--bad:#b3261e;--bad-bg:#ffebe9;--info:#0550ae;--info-bg:#ddf4ff;
--allow:#2da44e;--deny:#cf222e;--approval:#bf8700;--focus:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--panel:#151b23;--accent:#4493f8;--accent-fg:#0d1117;
--ok:#3fb950;--ok-bg:#12261e;--warn:#d29922;--warn-bg:#272115;--bad:#f85149;--bad-bg:#25171c;--info:#58a6ff;--info-bg:#121d2f;
--allow:#3fb950;--deny:#f85149;--approval:#d29922;--focus:#58a6ff}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg);overflow-wrap:normal;word-break:normal;hyphens:manual}
a{color:var(--accent)}
.wrap{max-width:72rem;margin:0 auto;padding:0 1rem 3rem}
.topbar{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.8rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
.topbar h1{font-size:1.15rem;margin:0}.topbar .grow{flex:1}
h2{font-size:1.15rem;margin:1.4rem 0 .6rem}h3{font-size:1rem;margin:1rem 0 .4rem}
p{margin:.4rem 0}.muted{color:var(--muted)}.small{font-size:.85rem}
.url,code{overflow-wrap:anywhere}
code,pre,textarea.code,input.code{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:var(--panel);border:1px solid var(--line);padding:.6rem;border-radius:6px;overflow:auto;max-height:22rem;margin:.4rem 0}
button,.button{font:inherit;padding:.35rem .85rem;border-radius:6px;border:1px solid var(--line);background:var(--panel);color:var(--fg);cursor:pointer;min-height:2.1rem}
button:hover{border-color:var(--muted)}button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
button.danger{color:var(--bad);border-color:var(--bad)}button[disabled]{opacity:.55;cursor:not-allowed}
button.link{border:0;background:none;color:var(--accent);padding:0;min-height:0;text-decoration:underline}
input,select,textarea{font:inherit;color:var(--fg);background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.35rem .5rem;min-height:2.1rem;max-width:100%}
textarea{width:100%;min-height:5rem}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.field{display:flex;flex-direction:column;gap:.15rem;min-width:10rem}.field>span{font-size:.85rem;font-weight:600}
.field .hint{font-weight:400;color:var(--muted)}
.form{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:flex-end;margin:.6rem 0}
.form .wide{flex:1 1 20rem}
.row{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}
.card{border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:.8rem 0;background:var(--bg)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.8rem;margin:.8rem 0}
.stat{border:1px solid var(--line);border-radius:8px;padding:.7rem 1rem;background:var(--panel)}
.stat .value{font-size:1.7rem;font-weight:650;display:block}.stat .label{display:block;color:var(--muted);font-size:.9rem}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:600;border:1px solid transparent;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.bad{color:var(--bad);background:var(--bad-bg)}.badge.info{color:var(--info);background:var(--info-bg)}
.badge.muted{color:var(--muted);border-color:var(--line)}
.notice{padding:.5rem .8rem;border-radius:6px;margin:.5rem 0;border:1px solid var(--line)}
.notice.ok{color:var(--ok);background:var(--ok-bg)}.notice.bad{color:var(--bad);background:var(--bad-bg)}.notice.info{color:var(--info);background:var(--info-bg)}
.error{color:var(--bad)}.warn-text{color:var(--warn)}
.scroll{overflow-x:auto;margin:.4rem 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600;white-space:nowrap}
tr.clickable{cursor:pointer}tr.clickable:hover,tr.selected{background:var(--panel)}
.tabs{display:flex;flex-wrap:wrap;gap:.2rem;border-bottom:1px solid var(--line);margin:1rem 0}
.tabs button{border:0;border-bottom:3px solid transparent;border-radius:0;background:none;padding:.5rem .8rem}
.tabs button[aria-selected=true]{border-bottom-color:var(--accent);font-weight:650}
.key{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}.key code{background:var(--panel);padding:.3rem .5rem;border-radius:4px}
.chart{width:100%;height:auto;max-height:16rem}.chart text{fill:var(--muted);font-size:11px}
.chart .allow{fill:var(--allow)}.chart .deny{fill:var(--deny)}.chart .approval{fill:var(--approval)}.chart .axis{stroke:var(--line)}
.legend{display:flex;gap:1rem;font-size:.85rem;color:var(--muted)}.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
.legend .allow{background:var(--allow)}.legend .deny{background:var(--deny)}.legend .approval{background:var(--approval)}
.rule{border:1px solid var(--line);border-radius:6px;padding:.6rem;margin:.5rem 0}.rule.invalid{border-color:var(--bad)}
.signin{max-width:26rem;margin:3rem auto;padding:0 1rem}.signin h1{font-size:1.4rem;margin:.2rem 0 .6rem}.signin.wide{max-width:36rem}
.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.3rem 1rem;margin:.6rem 0}.facts dt{font-weight:600}.facts dd{margin:0}
@media (max-width:40rem){.facts{grid-template-columns:1fr}.facts dd{margin-bottom:.3rem}.form{flex-direction:column;align-items:stretch}.field{min-width:0}th,td{padding:.35rem .4rem}.tabs button{padding:.45rem .55rem}}`;
