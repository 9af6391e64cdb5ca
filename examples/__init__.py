"""The example service `my-service`: the seed's two sockets."""
