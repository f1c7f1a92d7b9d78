"""The report's stylesheet: screen and print, colour-blind-safe, no external resources."""

CSS = """
:root{--ink:#1b1b1b;--muted:#595959;--line:#d4d4d4;--accent:#0072B2;--soft:#f4f5f7;
--mark:#F0E442}
*{box-sizing:border-box}
html{color-scheme:light}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
sans-serif;color:var(--ink);background:#fff}
a{color:var(--accent)}
a:focus-visible,.scroll:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-9999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
.layout{display:grid;grid-template-columns:14rem minmax(0,1fr);gap:2.5rem;max-width:84rem;
margin:0 auto;padding:1.5rem 2rem 4rem}
nav.toc{position:sticky;top:1rem;align-self:start;max-height:calc(100vh - 2rem);overflow:auto;
font-size:.9rem}
nav.toc h2{font-size:1rem;border:0;margin:0 0 .5rem}
nav.toc ol{padding-left:1.2rem;margin:0}
nav.toc ol ol{list-style:none;padding-left:.6rem}
nav.toc li.child{padding-left:.8rem}
nav.toc li.parent{font-weight:600}
@media (max-width:60rem){.layout{grid-template-columns:1fr;padding:1rem}
nav.toc{position:static;max-height:none}}
h1{font-size:1.9rem;line-height:1.2;margin:0 0 .3rem}
h2{font-size:1.45rem;border-bottom:2px solid var(--ink);padding-bottom:.2rem;margin:2.6rem 0 1rem}
h3{font-size:1.15rem;margin:1.8rem 0 .4rem}
h4{font-size:1rem;margin:1rem 0 .4rem}
.lede{color:var(--muted);margin:0 0 1rem}
.muted{color:var(--muted);font-weight:400}
.notice{border:1px solid var(--line);border-left-width:6px;padding:.6rem .9rem;border-radius:4px;
background:var(--soft)}
.notice.private{border-color:#E69F00;background:#fff6e5}
.notice.shareable{border-color:#009E73;background:#e8f6f0}
dl.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5rem,1fr));gap:.75rem;
margin:0 0 1rem}
dl.facts div{background:var(--soft);padding:.6rem .8rem;border-radius:4px}
dl.facts dt{color:var(--muted);font-size:.85rem}
dl.facts dd{margin:0;font-size:1.45rem;font-weight:650;font-variant-numeric:tabular-nums}
.tables-row{display:flex;flex-wrap:wrap;gap:0 2rem;align-items:flex-start}
.tables-row table{font-size:.84rem}
.tables-row th,.tables-row td{padding:.2rem .4rem}
.tables-row thead th{max-width:6.5rem}
table{border-collapse:collapse;font-size:.88rem;font-variant-numeric:tabular-nums;
margin:.4rem 0 1.2rem}
caption{text-align:left;font-weight:650;padding-bottom:.35rem}
th,td{padding:.25rem .55rem;border-bottom:1px solid var(--line);vertical-align:top;text-align:left}
thead th{border-bottom:2px solid var(--ink);vertical-align:bottom}
th[scope=colgroup]{text-align:center;border-bottom:1px solid var(--ink)}
.num{text-align:right}
tbody th{font-weight:400}
tr.parent th{font-weight:700}
tr.child th{padding-left:1.4rem}
tfoot th,tfoot td{color:var(--muted);font-style:italic}
tfoot tr:first-child>*{border-top:2px solid var(--line)}
.scroll{overflow-x:auto;max-width:100%}
table.provenance td{word-break:break-all}
.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
font-size:.85em}
pre{background:var(--soft);padding:.6rem .8rem;white-space:pre-wrap;word-break:break-all}
figure{margin:1.5rem 0 2.5rem}
figure svg{display:block}
figcaption{color:var(--muted);font-size:.9rem;max-width:46rem;margin-top:.4rem}
article.code{border-top:1px solid var(--line);margin-top:1.5rem}
article.code.parent{border-top:3px solid var(--ink)}
dl.rules{margin:.4rem 0;max-width:52rem}
dl.rules dt{font-weight:650;font-size:.9rem}
dl.rules dd{margin:0 0 .5rem}
.counts{font-size:.95rem}
ol.quotes{padding-left:1.4rem;max-width:52rem}
li.quote{margin-bottom:1rem}
blockquote{margin:0;padding:.55rem .9rem;border-left:4px solid var(--accent);
background:var(--soft);white-space:pre-line}
mark{background:var(--mark);color:inherit;padding:0 .12em;border-radius:2px}
.cite{margin:.3rem 0 0;font-size:.85rem;color:var(--muted)}
.cite .transcript{font-weight:650;color:var(--ink)}
code.segment{font-size:.78rem;color:var(--muted)}
.badge{display:inline-block;font-size:.75rem;font-weight:650;line-height:1.5;padding:0 .45rem;
border-radius:999px;border:1px solid #8c8c8c;color:#3d3d3d;background:#fff}
.badge.manual{background:var(--accent);border-color:var(--accent);color:#fff}
#disagreements{width:100%}
#disagreements th[scope=row]{width:13rem;overflow-wrap:anywhere}
#disagreements td:nth-child(2){width:16rem}
#disagreements td ul{margin:0;padding-left:1rem}
#disagreements td.passage{font-size:.85rem;white-space:pre-line}
table.freq th,table.freq td{padding:.2rem .45rem}
th.vertical{vertical-align:bottom;text-align:center;padding-bottom:.4rem}
th.vertical span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
footer{margin-top:3rem;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}
@media print{
@page{margin:14mm}
body{font-size:10pt}
.layout{display:block;padding:0;max-width:none}
nav.toc,.skip{display:none}
a{color:inherit;text-decoration:none}
h2,h3,h4{break-after:avoid}
figure,tr,li.quote,dl.facts div{break-inside:avoid}
thead{display:table-header-group}
.scroll{overflow:visible}
mark,.badge,.notice,blockquote,dl.facts div{-webkit-print-color-adjust:exact;
print-color-adjust:exact}
figure svg{max-width:100%!important}
}
"""
