# bench/plot.gp: how many times faster couponlib is than each engine doing
# the same work in the same language (bench/report.py's speedups.dat), on a
# log scale, with the issue's 10x line. bench/run.sh runs it:
#   gnuplot -e "data='speedups.dat'; out='performance.svg'" bench/plot.gp
set terminal svg size 1100,560 dynamic font "sans,11" background rgb "white"
set output out
set title "couponlib against the engines a shop would pick instead (peer time / couponlib time, same language)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.8
set logscale y 10
set yrange [0.01:*]
set ylabel "times faster (log scale)"
set grid ytics
set xtics rotate by -40 font ",9" nomirror
set key off
set arrow from graph 0, first 10 to graph 1, first 10 nohead lc rgb "#c03030" dt 2 lw 2
set label "10x (issue 8)" at graph 0.01, first 13 tc rgb "#c03030"
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#404040" lw 1
plot data using 2:xtic(1) lc rgb "#3070b0"
