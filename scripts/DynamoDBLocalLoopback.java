// Starts Amazon's DynamoDB Local listening on 127.0.0.1 only.
//
// DynamoDBLocal.jar (3.3.0) has no bind-address option: `-help` lists -port, -cors, -inMemory,
// -sharedDb, -dbPath, -delayTransientStatuses, -optimizeDbBeforeStartup, -disableTelemetry,
// -version, and its Jetty server listens on every interface. This launcher builds the server exactly
// as the jar's own main does (same arguments, same parsing), then sets the host of its Jetty
// connector to the loopback address before starting it. Run with the jar on the class path:
//   java -cp DynamoDBLocal.jar scripts/DynamoDBLocalLoopback.java -inMemory -sharedDb -port 8000
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLocalLoopback {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local built no connector to restrict");
        }
        for (Connector connector : connectors) {
            if (!(connector instanceof ServerConnector)) {
                throw new IllegalStateException("unexpected connector " + connector.getClass());
            }
            ((ServerConnector) connector).setHost("127.0.0.1");
        }
        proxy.start();
        System.out.println("DynamoDB Local listening on 127.0.0.1 only");
    }
}
