// Filtering: rows are read once (lazily, on the first filter), then only the rows whose state
// changes get their class toggled. Text input is debounced. Printing opens failed rows.
(function(){"use strict";
var box=document.getElementById("filter"),q=document.getElementById("q"),
shown=document.getElementById("shown");if(!box||!q)return;
var phases=Array.prototype.slice.call(document.querySelectorAll("#checks>.p"));
var groups=[],gphase=[],rows=[],outs=[],grp=[],texts=null,i,j;
for(i=0;i<phases.length;i++){var gs=phases[i].querySelectorAll(".g");
for(j=0;j<gs.length;j++){groups.push(gs[j]);gphase.push(i);}}
for(i=0;i<groups.length;i++){var ch=groups[i].children;for(j=0;j<ch.length;j++){
if(ch[j].classList.contains("c")){rows.push(ch[j]);outs.push(ch[j].getAttribute("data-o"));
grp.push(i);}}}
var vis=rows.map(function(){return true;}),gvis=groups.map(function(){return true;}),
pvis=phases.map(function(){return true;});
function apply(){
if(texts===null){texts=rows.map(function(r){
return r.firstElementChild.textContent.toLowerCase();});}
var want={},boxes=box.querySelectorAll("input[type=checkbox]");
for(i=0;i<boxes.length;i++){want[boxes[i].value]=boxes[i].checked;}
var s=q.value.trim().toLowerCase(),n=0,gc=groups.map(function(){return 0;}),
pc=phases.map(function(){return 0;});
for(i=0;i<rows.length;i++){var ok=want[outs[i]]!==false&&(s===""||texts[i].indexOf(s)!==-1);
if(ok){n++;gc[grp[i]]++;}if(ok!==vis[i]){vis[i]=ok;rows[i].classList.toggle("h",!ok);}}
for(i=0;i<groups.length;i++){var gv=gc[i]>0;if(gv){pc[gphase[i]]++;}
if(gv!==gvis[i]){gvis[i]=gv;groups[i].classList.toggle("h",!gv);}}
for(i=0;i<phases.length;i++){var pv=pc[i]>0;if(pv!==pvis[i]){pvis[i]=pv;
phases[i].classList.toggle("h",!pv);}}
shown.textContent=n===rows.length?"all "+n+" checks shown":n+" of "+rows.length+" checks shown";}
var timer=0;q.addEventListener("input",function(){clearTimeout(timer);
timer=setTimeout(apply,150);});
box.addEventListener("change",function(e){if(e.target!==q){apply();}});
var ex=document.getElementById("expand"),co=document.getElementById("collapse");
function openAll(v){for(i=0;i<rows.length;i++){if(vis[i]){rows[i].open=v;}}}
if(ex){ex.addEventListener("click",function(){openAll(true);});}
if(co){co.addEventListener("click",function(){openAll(false);});}
})();
