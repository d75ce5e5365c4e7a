#!/usr/bin/env escript
%%! -sname amqpsimmon -hidden
%% Cheap cluster view poller (one hidden node, dials from 127.0.0.1 so iptables rules don't hit it).
%% Prints per node per tick: MillisTime node app_running partitions running_nodes   e.g.
%% 1712345678901 1 true [2,3] [1]
main([IntervalMs]) -> loop(list_to_integer(IntervalMs)).
loop(I) ->
    T = erlang:system_time(millisecond),
    [begin
         N = list_to_atom("rabbit" ++ integer_to_list(K) ++ "@localhost"),
         R = rpc:call(N, rabbit, is_running, [], 2000),
         P = rpc:call(N, rabbit_node_monitor, partitions, [], 2000),
         C = rpc:call(N, rabbit_mnesia, cluster_nodes, [running], 2000),
         io:format("~p ~p ~s ~s ~s~n", [T, K, fmt(R), fmt(P), fmt(C)])
     end || K <- [1, 2, 3]],
    timer:sleep(I), loop(I).
fmt(L) when is_list(L) -> "[" ++ string:join([n(X) || X <- lists:sort(L)], ",") ++ "]";
fmt(true) -> "true"; fmt(false) -> "false"; fmt(_) -> "err".
n(A) -> [C || C <- atom_to_list(A), C >= $0, C =< $9, C =/= $@] -- [].
