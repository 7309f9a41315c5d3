// Regenerate testdata/lunar_javascript.json (the cross-check of statutory.go):
//   npm install lunar-javascript@1.7.7 && node testdata/lunar_javascript.js > testdata/lunar_javascript.json
// Statutory holidays (全国年节及纪念日放假办法, 2024 revision) per year by lunar-javascript.
const {Lunar, Solar} = require('lunar-javascript');
const out = {};
const fmt = s => s.toYmd();
for (let y = 2025; y <= 2100; y++) {
  const ny = Lunar.fromYmd(y, 1, 1).getSolar();
  const eve = ny.next(-1);
  const qm = Lunar.fromYmd(y, 1, 1).getJieQiTable()['清明'];
  out[y] = {
    chuxi: fmt(eve), chunjie: fmt(ny),
    qingming: qm.toYmd(),
    duanwu: fmt(Lunar.fromYmd(y, 5, 5).getSolar()),
    zhongqiu: fmt(Lunar.fromYmd(y, 8, 15).getSolar()),
  };
}
console.log(JSON.stringify(out, null, 1));
